import { notBuilt } from './not-built.ts';

export const reindexCommand = notBuilt(
  'reindex',
  'Embed chunks that have no vectors yet',
  'cairn reindex [--collection c]',
  'issue 4, ingestion',
);
