import type { Command } from '../context.ts';

/** A command whose capability is not built yet: it says so, and which issue builds it. */
export function notBuilt(name: string, summary: string, usage: string, issue: string): Command {
  return {
    name,
    summary,
    usage,
    async run(ctx) {
      const message = `cairn ${name}: not built yet (${issue})`;
      if (ctx.json) ctx.stdout(JSON.stringify({ error: { code: 'NOT_IMPLEMENTED', message } }));
      else ctx.stderr(message);
      return 1;
    },
  };
}
