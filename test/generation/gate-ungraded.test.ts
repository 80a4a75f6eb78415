import { sqliteAnswerBackend } from './answer-backend.ts';
import { gateUngradedSuite } from './gate-ungraded.case.ts';

gateUngradedSuite('sqlite', sqliteAnswerBackend);
