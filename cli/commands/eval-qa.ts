import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CairnError } from '../../core/index.ts';
import { type QaEvalReport, runQaEval } from '../../generation/index.ts';
import type { SearchMode } from '../../retrieval/index.ts';
import { createSqliteContract, openStore } from '../../store/index.ts';
import type { CommandContext } from '../context.ts';
import { bindSearch, resolveAnswerModels } from './ask.ts';

/**
 * `cairn eval qa <squad.json> [--limit n] [--mode bm25|dense|hybrid] [--json]` (the answering
 * room's part of `cairn eval`). Without --mode each question gets its own paragraph (SQuAD's
 * reading-comprehension setting); with --mode, retrieval searches every paragraph of the file.
 */
export const QA_USAGE = 'cairn eval qa <squad.json> [--limit n (default 500)] [--mode bm25|dense|hybrid] [--ranks] [--json]';

function readPositive(ctx: CommandContext, name: string, fallback: number): number {
  const raw = ctx.flags[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^[1-9]\d*$/.test(raw)) throw new CairnError('USAGE', `--${name} must be a positive integer`);
  return Number(raw);
}

function readSearchMode(ctx: CommandContext): SearchMode | null {
  const mode = ctx.flags.mode;
  if (mode === undefined) return null;
  if (mode === 'bm25' || mode === 'dense' || mode === 'hybrid') return mode;
  throw new CairnError('USAGE', `--mode must be bm25, dense or hybrid, not "${String(mode)}"`);
}

export function formatQaReport(r: QaEvalReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return [
    `${path.basename(r.file)} (SQuAD ${r.version}): ${r.questions} questions, ${r.mode} answers by ${r.generator}, ${r.retrieval} retrieval`,
    `exact match ${pct(r.exactMatch)}, F1 ${pct(r.f1)}`,
    `answerable ${r.answerable.count}: EM ${pct(r.answerable.exactMatch)}, F1 ${pct(r.answerable.f1)}, ` +
      `gold answer inside the answer ${pct(r.answerable.goldInAnswer)} (${pct(r.answerable.goldInAnswered)} of those answered), ` +
      `abstained ${pct(r.answerable.abstentionRate)}`,
    `unanswerable ${r.unanswerable.count}: abstained ${pct(r.unanswerable.abstentionRate)}`,
    `mean answer length ${r.meanAnswerChars} characters`,
    `decisions ${JSON.stringify(r.decisions)}; ${r.seconds} s, ${r.questionsPerSecond} questions/s`,
    ...formatCurve(r),
    ...formatRanks(r),
  ].join('\n');
}

/** The extractive abstention curve: what each answer.extractiveMinOverlap would give. */
function formatCurve(r: QaEvalReport): string[] {
  if (!r.curve) return [];
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(7);
  return [
    'threshold  answerable abstained  unanswerable abstained  gold answer inside the answer',
    ...r.curve.map(
      (p) =>
        `${p.threshold.toFixed(2).padStart(9)}  ${pct(p.answerableAbstained).padStart(20)}  ${pct(p.unanswerableAbstained).padStart(22)}  ${pct(p.goldInAnswer).padStart(29)}`,
    ),
  ];
}

/** Where the sentence holding the gold answer ranked (--ranks): the ceiling of quoting the top n. */
function formatRanks(r: QaEvalReport): string[] {
  if (!r.ranks) return [];
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const cuts = Object.entries(r.ranks.top).map(([n, share]) => `top ${n} ${pct(share)}`);
  return [`gold answer inside the top n sentences: ${cuts.join(', ')}; not in the top ${r.ranks.depth} ${pct(r.ranks.beyond)}`];
}

export async function runQaEvalCommand(ctx: CommandContext, file: string): Promise<number> {
  const limit = readPositive(ctx, 'limit', 500);
  const mode = readSearchMode(ctx);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'cairn-eval-qa-'));
  const store = openStore({ file: ':memory:' });
  const config = { ...ctx.config, dataDir: scratch };
  const models = await resolveAnswerModels(config, ctx.logger, createSqliteContract(store), 'squad-eval', {
    retrieval: mode !== null && mode !== 'bm25',
  });
  const closers: (() => Promise<void>)[] = [];
  try {
    if (!ctx.json) for (const note of models.notes) ctx.stderr(`note: ${note}`);
    const createSearch = () => {
      const bound = bindSearch(config, ctx.logger, store, models);
      closers.push(() => bound.close());
      return mode ? (request: Parameters<typeof bound.search>[0]) => bound.search({ ...request, mode }) : bound.search;
    };
    const report = await runQaEval(
      { store, config, logger: ctx.logger, generator: models.generator, createSearch },
      {
        file,
        limit,
        retrieval: mode ? 'search' : 'oracle',
        ranks: ctx.flags.ranks === true,
        onProgress: (done, total) => {
          if (ctx.isTTY && (done % 50 === 0 || done === total)) process.stderr.write(`\r${done}/${total} questions`);
        },
      },
    );
    if (ctx.isTTY) process.stderr.write('\n');
    ctx.stdout(ctx.json ? JSON.stringify({ ...report, notes: models.notes }) : formatQaReport(report));
    return 0;
  } finally {
    for (const close of closers) await close();
    await models.dispose();
    store.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
