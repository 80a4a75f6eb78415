import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { materialize } from '../../server/jobs/payload.ts';
import type { StoredDocument } from '../../server/services.ts';

let uploadsDir: string;
beforeEach(() => {
  uploadsDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-payload-'));
});
afterEach(() => rmSync(uploadsDir, { recursive: true, force: true }));

const stored: StoredDocument = {
  source: 'note.md',
  text: '# Note\n\nBody.',
  title: 'Note',
  mime: 'text/markdown',
  language: 'en',
  pages: [],
  metadata: { team: 'a' },
  contentHash: 'abc',
};

describe('materialize', () => {
  it('turns a stored document back into an ingest input, and reports one that is gone', () => {
    const read = (id: string) => (id === 'doc_1' ? stored : null);
    const { inputs, missing } = materialize(
      uploadsDir,
      [
        { type: 'document', id: 'doc_1' },
        { type: 'document', id: 'doc_gone' },
        { type: 'upload', file: 'up_x/0.bin', name: 'lost.txt' },
        { type: 'url', url: 'https://example.com/a' },
      ],
      read,
    );
    expect(inputs).toEqual([{ kind: 'stored', document: stored }, 'https://example.com/a']);
    expect(missing).toEqual(['doc_gone', 'lost.txt']);
  });
});
