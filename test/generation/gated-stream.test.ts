import { sqliteAnswerBackend } from './answer-backend.ts';
import { gatedStreamSuite } from './gated-stream.case.ts';

gatedStreamSuite('sqlite', sqliteAnswerBackend);
