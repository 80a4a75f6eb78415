import { type Config, createLogger, type Logger, loadConfig, setPath } from '../core/index.ts';

/** What every command gets: the parsed flags, the one config object, a logger, and output helpers. */
export interface CommandContext {
  config: Config;
  logger: Logger;
  json: boolean;
  /** Positional arguments after the command name. */
  args: string[];
  flags: Record<string, string | boolean | string[] | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
}

export interface CommandOption {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  description: string;
  /** A config path this flag sets (the flags layer of the config), read as a number when `number`. */
  config?: string;
  number?: boolean;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Flags this command takes beyond the global ones: name → kind. */
  options?: Record<string, CommandOption>;
  run(ctx: CommandContext): Promise<number>;
}

export const GLOBAL_OPTIONS = {
  data: { type: 'string', description: 'data folder (default ./data)' },
  config: { type: 'string', description: 'config file (default ./cairn.config.json)' },
  json: { type: 'boolean', description: 'machine-readable output' },
  offline: { type: 'boolean', description: 'never touch the network' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
} as const;

export function buildContext(
  flags: CommandContext['flags'],
  args: string[],
  env: Record<string, string | undefined>,
  options: Record<string, CommandOption> = {},
): CommandContext {
  const configFlags: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(options)) {
    const value = flags[name];
    if (option.config === undefined || value === undefined) continue;
    const numeric = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    setPath(configFlags, option.config, option.number ? numeric : value);
  }
  if (typeof flags.data === 'string') configFlags.dataDir = flags.data;
  if (flags.offline === true) configFlags.offline = true;
  const config = loadConfig({
    env,
    flags: configFlags,
    ...(typeof flags.config === 'string' ? { file: flags.config } : {}),
  });
  const json = flags.json === true;
  return {
    config,
    logger: createLogger({ level: config.logLevel }),
    json,
    args,
    flags,
    stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    isTTY: Boolean(process.stderr.isTTY) && !json,
  };
}
