import { sqliteAnswerBackend } from './answer-backend.ts';
import { badInputSuite } from './bad-input.case.ts';

badInputSuite('sqlite', sqliteAnswerBackend);
