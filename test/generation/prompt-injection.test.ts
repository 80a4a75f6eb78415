import { sqliteAnswerBackend } from './answer-backend.ts';
import { promptInjectionSuite } from './prompt-injection.case.ts';

promptInjectionSuite('sqlite', sqliteAnswerBackend);
