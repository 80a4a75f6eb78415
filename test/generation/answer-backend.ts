import { silentLogger } from '../../core/index.ts';
import type { AnswerDeps } from '../../generation/index.ts';
import type { Generator } from '../../models/types.ts';
import { createLexicalIndexCache, createSqliteRetrievers, type Retrievers, search } from '../../retrieval/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import { createSqliteContract, openStore, type Store } from '../../store/index.ts';
import { createExactSource } from '../retrieval/helpers.ts';
import type { PostgresBackend } from '../retrieval/postgres-backend.ts';
import { type SeedDoc, type Seeded, seedContract, testConfig } from './helpers.ts';

/** A seeded store of one backend; `embedded` is the SQLite store itself (data tables), absent on PostgreSQL. */
export interface SeededBackend extends Seeded<StoreContract> {
  embedded?: Store;
  /** The backend's own retrievers over the seeded store, for answers from a real search. */
  retrievers: Retrievers;
  close(): Promise<void>;
}

/** How an answer suite gets a store of one backend, seeded with its documents, for each test. */
export interface AnswerBackend {
  kind: 'sqlite' | 'postgres';
  seed(collection: string, docs: SeedDoc[]): Promise<SeededBackend>;
}

/** A new in-memory SQLite store per seed, as the suites used before they ran on both backends. */
export function sqliteAnswerBackend(): AnswerBackend {
  return {
    kind: 'sqlite',
    async seed(collection, docs) {
      const embedded = openStore({ file: ':memory:' });
      const seeded = await seedContract(collection, docs, createSqliteContract(embedded));
      const retrievers = createSqliteRetrievers({
        store: embedded,
        ann: createExactSource(embedded),
        lexical: createLexicalIndexCache(),
      });
      return { ...seeded, embedded, retrievers, close: async () => embedded.close() };
    },
  };
}

/** The describe block's PostgreSQL database, emptied for each seed. */
export function postgresAnswerBackend(backend: PostgresBackend): AnswerBackend {
  return {
    kind: 'postgres',
    async seed(collection, docs) {
      const { store, retrievers, close } = await backend.open();
      return { ...(await seedContract(collection, docs, store)), retrievers, close };
    },
  };
}

/** The answer pipeline's deps over a seeded backend (makeDeps of helpers.ts, for either backend). */
export function backendDeps(
  seeded: SeededBackend,
  generator: Generator | null,
  search: AnswerDeps['search'],
  config = testConfig(),
  spanScorer: AnswerDeps['spanScorer'] = null,
): AnswerDeps {
  const embedded = seeded.embedded ? { embedded: seeded.embedded } : {};
  return { store: seeded.store, ...embedded, config, generator, search, logger: silentLogger, spanScorer };
}

/** The backend's own search (BM25 only: the seeded chunks have no vectors), recording its requests. */
export function backendSearch(seeded: SeededBackend, config = testConfig()) {
  const requests: Parameters<AnswerDeps['search']>[0][] = [];
  const run: AnswerDeps['search'] = (request) => {
    requests.push(request);
    return search({ store: seeded.store, retrievers: seeded.retrievers, config, embedder: null, reranker: null }, request);
  };
  return { search: run, requests };
}
