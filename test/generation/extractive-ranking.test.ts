import { sqliteAnswerBackend } from './answer-backend.ts';
import { extractiveRankingSuite } from './extractive-ranking.case.ts';

extractiveRankingSuite('sqlite', sqliteAnswerBackend);
