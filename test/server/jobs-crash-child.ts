/**
 * A server whose ingest kills its own process on a text containing POISON (SIGKILL) or THROWS (an
 * uncaught exception), as a crashing loader would. Run by jobs-poison.test.ts in a child process:
 * argv[2] is the data folder. It prints `ready <url>` once listening and closes cleanly on SIGTERM.
 */
import { silentLogger } from '../../core/index.ts';
import { startServer } from '../../server/index.ts';
import { createFakeRuntime, testConfig } from './helpers.ts';

const dataDir = process.argv[2] as string;
const runtime = createFakeRuntime(dataDir);
const ingest = runtime.services.ingest;
runtime.services.ingest = async (call) => {
  const texts = call.sources.flatMap((s) => (typeof s === 'object' && s.kind === 'text' ? [s.text] : []));
  if (texts.some((text) => text.includes('POISON'))) process.kill(process.pid, 'SIGKILL');
  if (texts.some((text) => text.includes('THROWS'))) {
    // A loader bug that throws where nothing catches it: Node ends the process with exit code 1.
    setImmediate(() => {
      throw new Error('loader blew up');
    });
    await new Promise(() => {});
  }
  return ingest(call);
};
const server = await startServer(testConfig(dataDir), silentLogger, runtime);
process.stdout.write(`ready ${server.url}\n`);
process.once('SIGTERM', () => {
  server.close().then(() => process.exit(0));
});
