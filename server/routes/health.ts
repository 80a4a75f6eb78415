import path from 'node:path';
import { Hono } from 'hono';
import { type Config, modelsDir, VERSION } from '../../core/index.ts';
import { ocrStatus } from '../../indexer/index.ts';
import { describeModel, type ModelRole } from '../../models/index.ts';
import type { AppDeps } from '../deps.ts';
import { describeDevice, probeHost } from '../device.ts';
import type { AppEnv, Principal } from '../env.ts';
import { hasScope } from '../middleware/auth.ts';
import type { RouteDoc } from '../openapi.ts';

export const healthDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/health',
    summary:
      'Liveness, and what runs: store, embedder, reranker, generator, auth, OCR; the compute device each model backend is expected to use; each configured model, present or not, and how to get a missing one (server paths for admin keys on `*` only)',
    tag: 'Operations',
  },
];

/** Server paths are for the operator: only a key with admin on every collection sees them. */
function isGlobalAdmin(principal: Principal): boolean {
  return principal.kind === 'key' && hasScope(principal, '*', 'admin');
}

const ROLES: ModelRole[] = ['embedder', 'reranker', 'generator'];

/**
 * Each configured default model: whether its files are here and, when not, what is missing and the
 * command that fetches it. Read from the disk only: nothing is loaded to answer.
 */
export function modelReport(config: Config, admin: boolean) {
  return ROLES.flatMap((role) => {
    const ref = config.models[role];
    if (ref === null) return [];
    const info = describeModel(role, ref, modelsDir(config), config.models.dtype);
    const where = admin && info.location !== null ? { location: info.location } : {};
    if (info.present) return [{ role, ref, backend: info.backend, present: true, ...where }];
    return [
      {
        role,
        ref,
        backend: info.backend,
        present: false,
        ...where,
        missing: info.missing.map((file) => inside(info.location, file)),
        get: howToGet(config, role, info.backend),
      },
    ];
  });
}

/** A missing file named inside its model's folder: server paths are for admin keys only. */
function inside(location: string | null, file: string): string {
  const relative = location === null ? '' : path.relative(location, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative)
    ? path.basename(file)
    : relative.split(path.sep).join('/');
}

function howToGet(config: Config, role: ModelRole, backend: string): string {
  if (backend === 'unknown') return `models.${role} is not a model reference Cairn can read: fix it in the config`;
  const pull = `npx cairn models pull --role ${role}`;
  return config.offline ? `${pull} on a machine with network (offline mode is on here), then copy the models folder` : pull;
}

export function createHealthRoutes(deps: AppDeps) {
  const host = probeHost();
  return new Hono<AppEnv>().get('/', async (c) => {
    const keys = await deps.store.apiKeys.activeCount();
    const admin = isGlobalAdmin(c.get('principal'));
    return c.json({
      status: 'ok',
      version: VERSION,
      ...(admin ? { dataDir: deps.config.dataDir, modelsDir: modelsDir(deps.config) } : {}),
      schemaVersion: await deps.store.schemaVersion(),
      offline: deps.config.offline,
      auth: keys > 0 ? 'api-keys' : deps.openWithoutKeys ? 'open (loopback, no API keys)' : 'api-keys',
      jobs: { queued: deps.jobs.depth() },
      components: await deps.services.components(),
      ocr: ocrStatus(deps.config.ingest),
      device: describeDevice(deps.config.models, host),
      models: modelReport(deps.config, admin),
    });
  });
}
