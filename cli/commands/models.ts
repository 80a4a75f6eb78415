import { CairnError } from '../../core/index.ts';
import {
  createModelRegistry,
  createTerminalProgress,
  formatBytes,
  type ModelInfo,
  type ModelRole,
  type PullResult,
} from '../../models/index.ts';
import type { Command, CommandContext } from '../context.ts';

const ROLES: ModelRole[] = ['embedder', 'reranker', 'generator'];

export const modelsCommand: Command = {
  name: 'models',
  summary: 'List or download the configured models',
  usage: 'cairn models list|pull [--role embedder|reranker|generator]',
  options: {
    role: { type: 'string', description: 'only this role (pull)' },
    embedder: { type: 'string', description: 'embedder reference', config: 'models.embedder' },
    reranker: { type: 'string', description: 'reranker reference', config: 'models.reranker' },
    generator: { type: 'string', description: 'generator reference', config: 'models.generator' },
  },
  async run(ctx) {
    const [action = 'list'] = ctx.args;
    if (action === 'list') return listModels(ctx);
    if (action === 'pull') return pullModels(ctx);
    throw new CairnError('USAGE', `unknown action "${action}"; use: ${this.usage}`);
  },
};

async function listModels(ctx: CommandContext): Promise<number> {
  const registry = createModelRegistry({ config: ctx.config, logger: ctx.logger });
  const models = await registry.list();
  if (ctx.json) {
    ctx.stdout(JSON.stringify({ models }));
    return 0;
  }
  if (models.length === 0) ctx.stdout('no models configured');
  for (const model of models) ctx.stdout(formatModel(model));
  return 0;
}

export function formatModel(model: ModelInfo): string {
  const state = model.present ? 'present' : 'missing';
  const size = model.sizeBytes === null ? '' : ` ${formatBytes(model.sizeBytes)}`;
  const where = model.location ?? (model.backend === 'openai' ? 'OpenAI-compatible server' : '-');
  const missing = model.present || model.missing.length === 0 ? '' : `\n    missing: ${model.missing.join(', ')}`;
  return `${model.role.padEnd(10)}${model.ref}\n    ${state}${size} (${model.backend}) ${where}${missing}`;
}

async function pullModels(ctx: CommandContext): Promise<number> {
  const role = typeof ctx.flags.role === 'string' ? ctx.flags.role : undefined;
  if (role !== undefined && !ROLES.includes(role as ModelRole)) {
    throw new CairnError('USAGE', `--role must be one of ${ROLES.join(', ')}`);
  }
  const registry = createModelRegistry({
    config: ctx.config,
    logger: ctx.logger,
    onProgress: createTerminalProgress((text) => process.stderr.write(text), ctx.isTTY),
  });
  const results = await registry.pull(role ? [role as ModelRole] : undefined);
  if (ctx.json) ctx.stdout(JSON.stringify({ results }));
  else for (const result of results) ctx.stdout(formatPull(result));
  return results.every((r) => r.ok) ? 0 : 1;
}

function formatPull(result: PullResult): string {
  if (result.ok) return `${result.role.padEnd(10)}${result.ref}: ok${result.location ? ` (${result.location})` : ''}`;
  return `${result.role.padEnd(10)}${result.ref}: ${result.code} ${result.reason}`;
}
