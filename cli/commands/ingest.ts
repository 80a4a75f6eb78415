import { notBuilt } from './not-built.ts';

export const ingestCommand = notBuilt(
  'ingest',
  'Ingest files, folders or URLs into a collection',
  'cairn ingest <paths or URLs...> [--collection c] [--json]',
  'issue 4, ingestion',
);
