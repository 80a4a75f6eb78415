import { sqliteAnswerBackend } from './answer-backend.ts';
import { chatSuite } from './chat.case.ts';

chatSuite('sqlite', sqliteAnswerBackend);
