import { createHash } from 'node:crypto';

/** Text normalized so that the same content hashes the same whatever its line endings or form. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/^\uFEFF/, '');
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hashContent(text: string): string {
  return sha256(normalizeText(text));
}

/** A document's id derives from its collection and source, so re-ingesting it finds the same row. */
export function documentId(collectionId: string, source: string): string {
  return sha256(`${collectionId}\u0000${source}`).slice(0, 32);
}

export function chunkId(documentId: string, contentHash: string, ordinal: number): string {
  return sha256(`${documentId}\u0000${contentHash}\u0000${ordinal}`).slice(0, 32);
}

export function randomId(prefix = ''): string {
  return (
    prefix +
    createHash('sha256')
      .update(crypto.getRandomValues(new Uint8Array(16)))
      .digest('hex')
      .slice(0, 24)
  );
}
