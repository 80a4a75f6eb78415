import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Citation, Passage } from '../../core/index.ts';
import type { AnswerResult } from '../../generation/index.ts';
import { filterSchema } from '../schemas.ts';
import { type AnswerEventLike, answerText } from '../services.ts';
import { requireCollection } from './access.ts';
import { askOutput } from './output-schemas.ts';
import { citationsText, citationView, passagesText, passageView } from './passages.ts';
import { guarded, toolResult } from './results.ts';
import type { McpContext } from './types.ts';

const askInput = z.object({
  question: z.string().min(1),
  collection: z.string().min(1),
  chatId: z.string().optional().describe('Continue this conversation (the chatId of an earlier answer)'),
  k: z.number().int().min(1).max(50).optional().describe('Passages to retrieve'),
  filter: filterSchema.optional(),
});

type AskInput = z.infer<typeof askInput>;

/** Progress notifications for one call, in order, when the client asked for them with a progressToken. */
function progressReporter(extra: ServerContext) {
  const token = extra.mcpReq._meta?.progressToken;
  let count = 0;
  let chain = Promise.resolve();
  const send = (message: string) => {
    if (token === undefined) return;
    count += 1;
    const params = { progressToken: token, progress: count, message };
    chain = chain.then(() => extra.mcpReq.notify({ method: 'notifications/progress', params }).catch(() => {}));
  };
  let writing = false;
  return {
    onEvent(event: AnswerEventLike) {
      if (event.type === 'retrieved') send(`retrieved ${(event.passages as unknown[]).length} passages`);
      else if (event.type === 'reflection') send(`reflection: ${String(event.stage)}`);
      else if (event.type === 'token' && event.draft !== true && !writing) {
        writing = true;
        send('releasing the checked answer');
      }
    },
    /** Resolves when every notification is written, so none arrives after the result. */
    flushed: () => chain,
  };
}

function answerView(collection: string, question: string, result: Partial<AnswerResult>) {
  const citations = (result.citations ?? []).map((c: Citation) => citationView(c));
  const abstained = result.decision === 'abstained';
  return {
    collection,
    question,
    decision: result.decision ?? null,
    answer: answerText(result),
    abstainReason: result.abstainReason ?? null,
    complete: result.complete ?? true,
    mode: result.mode ?? null,
    citations,
    reflection: {
      sentences: (result.sentences ?? []).map((s) => ({
        text: s.text,
        markers: s.markers,
        support: s.support,
        removed: s.removed,
      })),
      isuse: result.isuse ?? null,
      score: result.score ?? null,
    },
    closestPassages: abstained ? (result.closestPassages ?? []).map((p: Passage) => passageView(collection, p)) : [],
    chatId: result.chatId ?? null,
    notes: result.notes ?? [],
  };
}

function answerTextFor(view: ReturnType<typeof answerView>): string {
  // What ran degraded (no generator: an extractive answer) is said in the text too, never only in JSON.
  const notes = view.notes.length > 0 ? `\n\nNotes: ${view.notes.join(' ')}` : '';
  if (view.decision === 'abstained') {
    const closest = view.closestPassages.length > 0 ? `\n\nClosest passages:\n${passagesText(view.closestPassages)}` : '';
    return `Cairn abstained (${view.abstainReason ?? 'no supported answer'}): ${view.answer}${closest}${notes}`;
  }
  const sources = view.citations.length > 0 ? `\n\nSources:\n${citationsText(view.citations)}` : '';
  return `${view.answer}${sources}${notes}`;
}

export function registerAskTool(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'ask',
    {
      title: 'Ask a collection',
      description:
        "A grounded answer from one collection, released only after Cairn's Self-RAG gate: citations quote the exact supporting span with its offsets; when the documents do not support an answer it abstains and returns the closest passages instead. Sends progress notifications while it runs.",
      inputSchema: askInput,
      outputSchema: askOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
    },
    guarded(ctx.logger, async (args: AskInput, extra: ServerContext) => {
      const collection = await requireCollection(ctx, args.collection, 'read');
      const progress = progressReporter(extra);
      const signal = extra.mcpReq.signal;
      const release = await ctx.asks.acquire(signal);
      let result: Partial<AnswerResult>;
      try {
        const call = {
          collection: collection.id,
          question: args.question,
          signal,
          ...(args.chatId ? { chatId: args.chatId } : {}),
          ...(args.k ? { k: args.k } : {}),
          ...(args.filter ? { filter: args.filter } : {}),
        };
        result = (await ctx.services.answer(call, progress.onEvent)) as Partial<AnswerResult>;
      } finally {
        release();
      }
      await progress.flushed();
      const view = answerView(collection.name, args.question, result);
      return toolResult(view, answerTextFor(view));
    }),
  );
}
