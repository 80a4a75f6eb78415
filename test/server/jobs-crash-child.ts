/**
 * A server whose ingest kills its own process on a text containing POISON, as a loader that
 * crashes the process would (run by jobs-poison.test.ts in a child process: argv[2] is the data
 * folder). It prints `ready <url>` once listening and closes cleanly on SIGTERM.
 */
import { silentLogger } from '../../core/index.ts';
import { startServer } from '../../server/index.ts';
import { createFakeRuntime, testConfig } from './helpers.ts';

const dataDir = process.argv[2] as string;
const runtime = createFakeRuntime(dataDir);
const ingest = runtime.services.ingest;
runtime.services.ingest = async (call) => {
  const poisoned = call.sources.some((s) => typeof s === 'object' && s.kind === 'text' && s.text.includes('POISON'));
  if (poisoned) process.kill(process.pid, 'SIGKILL');
  return ingest(call);
};
const server = await startServer(testConfig(dataDir), silentLogger, runtime);
process.stdout.write(`ready ${server.url}\n`);
process.once('SIGTERM', () => {
  server.close().then(() => process.exit(0));
});
