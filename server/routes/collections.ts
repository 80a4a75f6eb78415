import { type Context, Hono } from 'hono';
import { CairnError, type Collection, type CollectionSettings, modelsDir } from '../../core/index.ts';
import { isConfinedRef } from '../../models/index.ts';
import { DEFAULT_SETTINGS } from '../../store/index.ts';
import { createOriginals, originalsDir } from '../../store/originals.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { hasScope, requireScope } from '../middleware/auth.ts';
import type { RouteDoc } from '../openapi.ts';
import { createCollectionSchema, updateCollectionSchema } from '../schemas.ts';
import { param, parseJsonBody, pickDefined } from '../validate.ts';

const BASE = '/v1/collections';

export const collectionDocs: RouteDoc[] = [
  { method: 'get', path: BASE, summary: 'List collections the key can read', tag: 'Collections', scope: 'read' },
  {
    method: 'post',
    path: BASE,
    summary: 'Create a collection',
    tag: 'Collections',
    body: createCollectionSchema,
    scope: 'admin',
    responses: { 201: 'Created', 400: 'Invalid request', 409: 'A collection with this name exists' },
  },
  {
    method: 'get',
    path: `${BASE}/{collection}`,
    summary: 'A collection with counts and models',
    tag: 'Collections',
    scope: 'read',
  },
  {
    method: 'patch',
    path: `${BASE}/{collection}`,
    summary: 'Update description, display title (`title`; the name is the id and stays) and settings',
    tag: 'Collections',
    body: updateCollectionSchema,
    scope: 'admin',
  },
  {
    method: 'delete',
    path: `${BASE}/{collection}`,
    summary: 'Delete a collection with its documents, vectors and index files',
    tag: 'Collections',
    scope: 'admin',
  },
];

type Nullable<T> = { [K in keyof T]?: T[K] | null | undefined };
type SettingsInput = Partial<Omit<CollectionSettings, 'chunking' | 'retrieval' | 'answer'>> & {
  chunking?: Partial<CollectionSettings['chunking']>;
  retrieval?: Nullable<NonNullable<CollectionSettings['retrieval']>>;
  answer?: Nullable<NonNullable<CollectionSettings['answer']>>;
};

/** A partial update of one settings group: given fields replace, null removes, omitted ones stay. */
function mergeGroup<T extends object>(current: T | undefined, patch: Nullable<T>): T {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return merged as T;
}

function settingsPatch(body: SettingsInput & { description?: string | undefined }, current?: CollectionSettings) {
  const settings: Partial<CollectionSettings> = pickDefined(body, [
    'embedder',
    'reranker',
    'generator',
    'index',
    'extra',
    'title',
  ] as const);
  if (body.chunking !== undefined) {
    const base = current?.chunking ?? DEFAULT_SETTINGS.chunking;
    settings.chunking = { ...base, ...pickDefined(body.chunking, ['splitter', 'size', 'overlap', 'unit'] as const) };
  }
  if (body.retrieval !== undefined) settings.retrieval = mergeGroup(current?.retrieval, body.retrieval);
  if (body.answer !== undefined) settings.answer = mergeGroup(current?.answer, body.answer);
  return settings;
}

const MODEL_ROLES = ['embedder', 'reranker', 'generator'] as const;

/**
 * A collection admin may pick hub models and files under the models folder; a path anywhere else
 * would make the server open files of the caller's choosing, so it takes an admin key on `*`.
 */
function assertModelRefsAllowed(deps: AppDeps, c: Context<AppEnv>, body: Partial<Record<(typeof MODEL_ROLES)[number], unknown>>) {
  if (hasScope(c.get('principal'), '*', 'admin')) return;
  const folder = modelsDir(deps.config);
  for (const role of MODEL_ROLES) {
    const ref = body[role];
    if (typeof ref !== 'string' || isConfinedRef(ref, folder)) continue;
    throw new CairnError(
      'MODEL_REF_NOT_ALLOWED',
      `The ${role} "${ref}" is a path outside the models folder ${folder}: name a hub id or a file in that folder, or use an admin key on every collection`,
      { role, ref },
    );
  }
}

/** A collection as the API shows it: settings, the models in effect, and counts. */
export async function collectionView(deps: AppDeps, collection: Collection) {
  const { store, config } = deps;
  const [documents, chunks, vectors] = await Promise.all([
    store.documents.count(collection.id),
    store.chunks.count(collection.id),
    store.vectors.models(collection.id),
  ]);
  return {
    ...collection,
    /** What to show: the display name set by PATCH {title}, else the name. */
    title: collection.settings.title || collection.name,
    models: {
      embedder: collection.settings.embedder ?? config.models.embedder,
      reranker: collection.settings.reranker ?? config.models.reranker,
      generator: collection.settings.generator ?? config.models.generator,
    },
    counts: { documents, chunks, vectors },
  };
}

export function createCollectionRoutes(deps: AppDeps) {
  const { store } = deps;
  return new Hono<AppEnv>()
    .get('/', async (c) => {
      const principal = c.get('principal');
      const visible = (await store.collections.list()).filter((col) => hasScope(principal, col.id, 'read'));
      return c.json({ collections: await Promise.all(visible.map((col) => collectionView(deps, col))) });
    })
    .post('/', async (c) => {
      const body = await parseJsonBody(c, createCollectionSchema);
      requireScope(c, body.name, 'admin');
      assertModelRefsAllowed(deps, c, body);
      const created = await store.collections.create({
        name: body.name,
        ...(body.description !== undefined ? { description: body.description } : {}),
        settings: settingsPatch(body as SettingsInput),
      });
      return c.json(await collectionView(deps, created), 201);
    })
    .get('/:collection', async (c) => {
      const name = param(c, 'collection');
      requireScope(c, name, 'read');
      return c.json(await collectionView(deps, await store.collections.require(name)));
    })
    .patch('/:collection', async (c) => {
      const name = param(c, 'collection');
      requireScope(c, name, 'admin');
      const current = await store.collections.require(name);
      const body = await parseJsonBody(c, updateCollectionSchema);
      assertModelRefsAllowed(deps, c, body);
      const updated = await store.collections.update(current.id, {
        ...(body.description !== undefined ? { description: body.description } : {}),
        settings: settingsPatch(body as SettingsInput, current.settings),
      });
      return c.json(await collectionView(deps, updated));
    })
    .delete('/:collection', async (c) => {
      const name = param(c, 'collection');
      requireScope(c, name, 'admin');
      const collection = await store.collections.require(name);
      await store.collections.remove(collection.id);
      await deps.services.dropIndex(collection.id);
      // Originals its documents alone named go with them (only the embedded store keeps originals).
      if (deps.embedded) createOriginals(deps.embedded.db, originalsDir(deps.config.dataDir)).prune();
      return c.json({ deleted: true, id: collection.id });
    });
}
