import { sqliteAnswerBackend } from './answer-backend.ts';
import { gateLikelihoodSuite } from './gate-likelihood.case.ts';

gateLikelihoodSuite('sqlite', sqliteAnswerBackend);
