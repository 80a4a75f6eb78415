import { sqliteAnswerBackend } from './answer-backend.ts';
import { citationsSuite } from './pipeline-citations.case.ts';

citationsSuite('sqlite', sqliteAnswerBackend);
