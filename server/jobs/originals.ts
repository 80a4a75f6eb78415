import path from 'node:path';
import type { Store } from '../../store/index.ts';
import { createOriginals, originalsDir } from '../../store/originals.ts';
import type { JobPayload } from './payload.ts';

/**
 * At the end of a job, before its upload files go: the uploads that became documents are kept as
 * originals (`GET …/documents/{id}/file`), and originals no document names any more (a replaced or
 * deleted document's) are removed. The data folder is the uploads folder's parent.
 */
export function createOriginalsKeeper(store: Store, uploadsDir: string) {
  const originals = createOriginals(store.db, originalsDir(path.dirname(uploadsDir)));
  return function keepOriginals(posted: JobPayload): void {
    for (const source of posted.sources) {
      if (source.type === 'upload' && source.hash) originals.keep(source.hash, path.join(uploadsDir, source.file));
    }
    originals.prune();
  };
}
