#!/usr/bin/env node
// `npm run bench -- <name> [options]` runs bench/<name>.ts; it logs on stderr and prints one JSON object last.
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';

const [name, ...args] = process.argv.slice(2);
const file = name ? new URL(`../bench/${name}.ts`, import.meta.url) : null;
if (!file || !existsSync(file)) {
  process.stderr.write(`usage: npm run bench -- <name> [options]; benchmarks live in bench/<name>.ts\n`);
  process.exit(2);
}
register();
process.argv = [process.argv[0], file.pathname, ...args];
await import(file.href);
