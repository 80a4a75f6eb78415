import { CairnError } from '../../core/index.ts';
import { type BeirReport, evaluateBeir, type FusionMethod } from '../../retrieval/index.ts';
import type { Command, CommandContext } from '../context.ts';
import { QA_USAGE, runQaEvalCommand } from './eval-qa.ts';
import { runSqlEvalCommand, SQL_USAGE } from './eval-sql.ts';
import { loadSearchModels, mergeNotes, readMode, readRerank } from './search.ts';

/**
 * `cairn eval <kind> <path>`: one small table of evaluations. `beir` scores retrieval on BEIR-format
 * data (and the SQuAD retrieval view); `qa` scores answers and belongs to the answering room.
 */
interface EvalSubcommand {
  usage: string;
  run(ctx: CommandContext, path: string): Promise<number>;
}

function flagString(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.flags[name];
  return typeof v === 'string' ? v : undefined;
}

function readFusion(ctx: CommandContext): FusionMethod | undefined {
  const fusion = flagString(ctx, 'fusion');
  if (fusion === undefined) return undefined;
  if (fusion !== 'rrf' && fusion !== 'convex') throw new CairnError('USAGE', `--fusion must be rrf or convex, not "${fusion}"`);
  return fusion;
}

function readLimit(ctx: CommandContext): number | undefined {
  const raw = flagString(ctx, 'limit');
  if (raw === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(raw)) throw new CairnError('USAGE', `--limit must be a positive integer, not "${raw}"`);
  return Number(raw);
}

export function formatBeirReport(r: BeirReport): string {
  const m = r.metrics;
  const ran = [
    r.ran.bm25 && 'bm25',
    r.ran.dense && 'dense',
    r.ran.fusion && `fusion (${r.ran.fusion})`,
    r.ran.rerank && 'rerank',
  ].filter(Boolean);
  const lines = [
    `${r.dataset}: ${r.documents} documents, ${r.queries} queries, mode ${r.mode} (ran: ${ran.join(', ')})`,
    `embedder ${r.embedder ?? 'none'}, reranker ${r.reranker ?? 'none'}`,
    `nDCG@10    ${m['ndcg@10'].toFixed(4)}`,
    `Recall@100 ${m['recall@100'].toFixed(4)}`,
    `MRR@10     ${m['mrr@10'].toFixed(4)}`,
    `Recall@1/5/20 ${m['recall@1'].toFixed(4)} / ${m['recall@5'].toFixed(4)} / ${m['recall@20'].toFixed(4)}`,
    `latency p50 ${r.latencyMs.p50} ms, p95 ${r.latencyMs.p95} ms; ingest ${r.seconds.ingest} s, search ${r.seconds.search} s`,
  ];
  for (const note of r.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

async function runBeir(ctx: CommandContext, folder: string): Promise<number> {
  const mode = readMode(ctx);
  const rerank = ctx.flags.rerank === true && readRerank(ctx);
  const fusion = readFusion(ctx);
  const limit = readLimit(ctx);
  const split = flagString(ctx, 'split');
  const models = await loadSearchModels(ctx.config, ctx.logger, {
    embedder: mode === 'bm25' ? null : (flagString(ctx, 'embedder') ?? ctx.config.models.embedder),
    reranker: rerank ? (flagString(ctx, 'reranker') ?? ctx.config.models.reranker) : null,
  });
  try {
    const report = await evaluateBeir(
      {
        config: ctx.config,
        logger: ctx.logger,
        embedder: models.embedder,
        reranker: models.reranker,
        onProgress: (m) => ctx.stderr(m),
      },
      { folder, mode, rerank, ...(fusion ? { fusion } : {}), ...(limit ? { limit } : {}), ...(split ? { split } : {}) },
    );
    report.notes = mergeNotes(models.notes, report.notes);
    ctx.stdout(ctx.json ? JSON.stringify(report) : formatBeirReport(report));
    return 0;
  } finally {
    await models.dispose();
  }
}

const SUBCOMMANDS: Record<string, EvalSubcommand> = {
  beir: {
    usage:
      'cairn eval beir <folder> [--mode bm25|dense|hybrid] [--rerank] [--fusion rrf|convex] [--embedder ref] [--reranker ref] [--limit n] [--split test] [--json]',
    run: runBeir,
  },
  // The answering room (issue 7): SQuAD answers through generation/'s runQaEval.
  qa: { usage: QA_USAGE, run: runQaEvalCommand },
  // Tables (issue 19): execution accuracy of the generator's SQL.
  sql: { usage: SQL_USAGE, run: runSqlEvalCommand },
};

export const evalCommand: Command = {
  name: 'eval',
  summary: 'Evaluate retrieval (beir), answers (qa) or SQL over tables (sql)',
  usage: Object.values(SUBCOMMANDS)
    .map((s) => s.usage)
    .join('\n       '),
  options: {
    mode: { type: 'string', description: 'bm25, dense or hybrid (default from config: hybrid)' },
    rerank: { type: 'boolean', description: 'rerank the fused top-N with the cross-encoder' },
    fusion: { type: 'string', description: 'rrf or convex (default: retrieval.fusion from the config, convex unless set)' },
    embedder: { type: 'string', description: 'embedder model ref (default from config)' },
    reranker: { type: 'string', description: 'reranker model ref (default from config)' },
    limit: { type: 'string', description: 'evaluate only the first n queries' },
    split: { type: 'string', description: 'qrels split (default test)' },
    ranks: { type: 'boolean', description: 'qa, extractive: where the sentence holding the gold answer ranks' },
  },
  async run(ctx) {
    const [kind, target] = ctx.args;
    const sub = kind ? SUBCOMMANDS[kind] : undefined;
    if (!sub) throw new CairnError('USAGE', `cairn eval needs one of: ${Object.keys(SUBCOMMANDS).join(', ')}`);
    if (!target) throw new CairnError('USAGE', `usage: ${sub.usage}`);
    return sub.run(ctx, target);
  },
};
