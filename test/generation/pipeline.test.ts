import { sqliteAnswerBackend } from './answer-backend.ts';
import { pipelineSuite } from './pipeline.case.ts';

pipelineSuite('sqlite', sqliteAnswerBackend);
