import { CairnError, isCairnError } from '../core/index.ts';
import type { Embedder } from '../models/index.ts';
import type { StoreContract } from '../store/contract.ts';
import type { NewVectors, Store } from '../store/index.ts';
import type { Channel } from './channel.ts';
import { type PrepareContext, type PreparedDocument, recordFailure } from './prepare.ts';

interface Pending {
  prepared: PreparedDocument;
  vectors: Float32Array[];
  remaining: number;
  failed: boolean;
}

interface StageDeps {
  contract: StoreContract;
  /** The embedded SQLite store: a document and its data tables are written in one of its transactions. */
  embedded?: Store;
  embedder: Embedder | null;
  batchSize: number;
  ctx: Pick<PrepareContext, 'tracker' | 'summary' | 'seen' | 'signal' | 'pause'>;
}

/**
 * Writes one document (chunks, vectors, and its data tables on the embedded store) in one
 * transaction; a failure rolls it all back. Data tables live in SQLite only: without the embedded
 * store (PostgreSQL), documents.write is its own transaction and the tables are not kept.
 */
async function writeTransaction(deps: StageDeps, pending: Pending, vectors: NewVectors | undefined): Promise<void> {
  const { doc, chunks, tables } = pending.prepared;
  const embedded = deps.embedded;
  if (!embedded) {
    await deps.contract.documents.write(doc, chunks, vectors);
    return;
  }
  embedded.db.transaction(() => {
    embedded.documents.write(doc, chunks, vectors);
    if (tables) embedded.tables.replace(doc.collectionId, doc.id, tables);
  })();
}

async function writeDocument(deps: StageDeps, pending: Pending): Promise<void> {
  // Nothing more after an abort: an instance that lost its job's lease to another must not write on.
  if (deps.ctx.signal?.aborted) return;
  const { doc, chunks, outcome } = pending.prepared;
  try {
    const vectors = deps.embedder
      ? { modelId: deps.embedder.id, dimensions: deps.embedder.dimensions, vectors: pending.vectors }
      : undefined;
    await writeTransaction(deps, pending, vectors);
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

async function embedSlots(deps: StageDeps, embedder: Embedder, slots: Slot[], whileWaiting: () => Promise<void>): Promise<void> {
  const embedding = embedder.embed(
    slots.map((b) => b.pending.prepared.chunks[b.index]?.text ?? ''),
    'passage',
  );
  const writing = whileWaiting();
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
  await writing;
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
  // Documents are written one at a time, in order: each flush waits for the one before it.
  let writes: Promise<void> = Promise.resolve();
  const drain = async () => {
    while (docs.length > 0 && ((docs[0] as Pending).remaining === 0 || (docs[0] as Pending).failed)) {
      const done = docs.shift() as Pending;
      if (!done.failed) await writeDocument(deps, done);
    }
  };
  const flushReady = (): Promise<void> => {
    writes = writes.then(drain);
    return writes;
  };
  const admit = (prepared: PreparedDocument) => {
    const pending: Pending = { prepared, vectors: new Array(prepared.chunks.length), remaining: 0, failed: false };
    docs.push(pending);
    if (!embedder) return void flushReady();
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
  await flushReady();
}
