import { CairnError, isCairnError } from '../core/index.ts';
import type { Embedder } from '../models/index.ts';
import type { Store } from '../store/index.ts';
import type { Channel } from './channel.ts';
import { type PrepareContext, type PreparedDocument, recordFailure } from './prepare.ts';

interface Pending {
  prepared: PreparedDocument;
  vectors: Float32Array[];
  remaining: number;
  failed: boolean;
}

interface StageDeps {
  store: Store;
  embedder: Embedder | null;
  batchSize: number;
  ctx: Pick<PrepareContext, 'tracker' | 'summary' | 'seen' | 'signal' | 'pause'>;
}

/** Writes one document (chunks, vectors) in one transaction; a failure rolls it all back. */
function writeDocument(deps: StageDeps, pending: Pending): void {
  const { doc, chunks, outcome } = pending.prepared;
  try {
    const vectors = deps.embedder
      ? { modelId: deps.embedder.id, dimensions: deps.embedder.dimensions, vectors: pending.vectors }
      : undefined;
    const tables = pending.prepared.tables;
    deps.store.db.transaction(() => {
      deps.store.documents.write(doc, chunks, vectors);
      if (tables) deps.store.tables.replace(doc.collectionId, doc.id, tables);
    })();
    deps.ctx.summary[outcome]++;
    deps.ctx.summary.chunks += chunks.length;
    deps.ctx.summary.documents.push({ source: doc.source, id: doc.id, status: outcome });
    deps.ctx.tracker.documentDone(chunks.length);
  } catch (error) {
    recordFailure(deps.ctx, doc.source, error);
  }
}

function failDocument(deps: StageDeps, pending: Pending, error: unknown): void {
  if (pending.failed) return;
  pending.failed = true;
  const reason = isCairnError(error) ? error : new CairnError('EMBED_FAILED', `embedding failed: ${(error as Error).message}`);
  recordFailure(deps.ctx, pending.prepared.doc.source, reason);
}

/**
 * Batches handed to the embedder in one call when chunks are already waiting: it sorts them by
 * length across the call, so each batch pads less. The embedder keeps its own batch size.
 */
const WINDOW_BATCHES = 4;

type Slot = { pending: Pending; index: number };

async function embedSlots(deps: StageDeps, embedder: Embedder, slots: Slot[], whileWaiting: () => void): Promise<void> {
  const embedding = embedder.embed(
    slots.map((b) => b.pending.prepared.chunks[b.index]?.text ?? ''),
    'passage',
  );
  whileWaiting();
  try {
    const vectors = await embedding;
    slots.forEach((b, i) => {
      b.pending.vectors[b.index] = vectors[i] as Float32Array;
      b.pending.remaining--;
    });
  } catch (error) {
    for (const b of slots) {
      failDocument(deps, b.pending, error);
      b.pending.remaining--;
    }
  }
}

/**
 * The embed and write stages. Chunks from consecutive documents fill each embedding call; while
 * a call is being embedded, the documents finished by earlier calls are written, and the prepare
 * stage keeps loading and splitting into the channel, so only embedding sets the pace.
 */
export async function embedAndWrite(channel: Channel<PreparedDocument>, deps: StageDeps): Promise<void> {
  const { embedder, batchSize } = deps;
  const docs: Pending[] = [];
  const queue: Slot[] = [];
  let open = true;
  const flushReady = () => {
    while (docs.length > 0 && ((docs[0] as Pending).remaining === 0 || (docs[0] as Pending).failed)) {
      const done = docs.shift() as Pending;
      if (!done.failed) writeDocument(deps, done);
    }
  };
  const admit = (prepared: PreparedDocument) => {
    const pending: Pending = { prepared, vectors: new Array(prepared.chunks.length), remaining: 0, failed: false };
    docs.push(pending);
    if (!embedder) return flushReady();
    pending.remaining = prepared.chunks.length;
    for (let index = 0; index < prepared.chunks.length; index++) queue.push({ pending, index });
  };
  for (;;) {
    // Waits for a full batch; then takes what is already buffered, up to the window, without waiting.
    while (open && (queue.length < batchSize || !embedder || (channel.size() > 0 && queue.length < batchSize * WINDOW_BATCHES))) {
      const prepared = await channel.next();
      if (!prepared) open = false;
      else admit(prepared);
      // An embedder that answers at once (a fake, a cache) or none at all would otherwise never leave the microtask queue.
      await deps.ctx.pause?.();
    }
    if (queue.length === 0 || !embedder) break;
    await embedSlots(deps, embedder, queue.splice(0, batchSize * WINDOW_BATCHES), flushReady);
  }
  flushReady();
}
