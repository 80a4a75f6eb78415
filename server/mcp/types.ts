import type { Config, Logger } from '../../core/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import type { Principal } from '../env.ts';
import type { JobWorker } from '../jobs/worker.ts';
import type { ConcurrencyLimiter } from '../middleware/limits.ts';
import type { Services } from '../services.ts';

/** What the MCP server needs: the same services the REST API runs on. */
export interface McpDeps {
  config: Config;
  store: StoreContract;
  services: Services;
  jobs: Pick<JobWorker, 'submit'>;
  logger: Logger;
  /** The same answer slots as REST's /ask, so agents cannot starve the chat UI. */
  asks: ConcurrencyLimiter;
  /** Only these collections are served (`cairn mcp --collection`); every collection when absent. */
  collections?: string[];
}

/** One MCP request's (HTTP) or connection's (stdio) view: the deps and who is calling. */
export interface McpContext extends McpDeps {
  principal: Principal;
}
