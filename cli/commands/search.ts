import { notBuilt } from './not-built.ts';

export const searchCommand = notBuilt(
  'search',
  'Search a collection',
  'cairn search "<query>" [--collection c] [--mode bm25|dense|hybrid] [--k n]',
  'issue 6, retrieval',
);
