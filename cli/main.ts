import { parseArgs } from 'node:util';
import { CairnError, toCairnError } from '../core/index.ts';
import { COMMANDS } from './commands/index.ts';
import { buildContext, type Command, GLOBAL_OPTIONS } from './context.ts';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

function formatOptions(options: Command['options'] | typeof GLOBAL_OPTIONS): string {
  return Object.entries(options ?? {})
    .map(([name, o]) => `  --${name}${o.type === 'string' ? ' <value>' : ''}`.padEnd(28) + o.description)
    .join('\n');
}

export function mainHelp(): string {
  const commands = COMMANDS.map((c) => `  ${c.name.padEnd(12)}${c.summary}`).join('\n');
  return `cairn — grounded answers with citations from your documents

usage: cairn <command> [options]

commands:
${commands}

global options:
${formatOptions(GLOBAL_OPTIONS)}

Run \`cairn <command> --help\` for a command's options.`;
}

export function commandHelp(command: Command): string {
  const own = command.options ? `\noptions:\n${formatOptions(command.options)}\n` : '';
  return `${command.summary}\n\nusage: ${command.usage}\n${own}\nglobal options:\n${formatOptions(GLOBAL_OPTIONS)}`;
}

/** Runs the CLI and returns its exit code: 0 ok, 1 failure, 2 usage. */
export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${mainHelp()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    const { VERSION } = await import('../core/index.ts');
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`error: unknown command "${name}"; run \`cairn --help\` for the list\n`);
    return EXIT.usage;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\nusage: ${command.usage}\n`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return EXIT.ok;
  }
  const json = parsed.values.json === true;
  try {
    const ctx = buildContext(
      parsed.values as Record<string, string | boolean | string[] | undefined>,
      parsed.positionals,
      env,
      command.options,
    );
    return await command.run(ctx);
  } catch (error) {
    return reportError(error, json);
  }
}

export function reportError(error: unknown, json: boolean): number {
  const cairnError = toCairnError(error);
  if (json) {
    process.stdout.write(`${JSON.stringify({ error: cairnError.toJSON() })}\n`);
  } else {
    process.stderr.write(`error: ${cairnError.message}\n`);
    if (cairnError.code === 'INTERNAL' && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  }
  return cairnError.code === 'USAGE' ? EXIT.usage : EXIT.failure;
}

export function usageError(message: string): CairnError {
  return new CairnError('USAGE', message);
}
