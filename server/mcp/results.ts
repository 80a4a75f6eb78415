import type { CallToolResult } from '@modelcontextprotocol/server';
import { type Logger, toCairnError } from '../../core/index.ts';

/** A tool's answer: the JSON for programs and the same facts as text for the model. */
export function toolResult(structured: Record<string, unknown>, text: string): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/** A failed call as a tool error result (the model sees it and can correct itself), with Cairn's code. */
export function toolError(error: unknown, logger: Logger): CallToolResult {
  const cairnError = toCairnError(error);
  if (cairnError.code === 'INTERNAL') logger.error(`mcp tool failed: ${(error as Error)?.stack ?? cairnError.message}`);
  const body = { code: cairnError.code, message: cairnError.message, details: cairnError.details ?? {} };
  return {
    isError: true,
    content: [{ type: 'text', text: `${body.code}: ${body.message}` }],
    structuredContent: { error: body },
  };
}

/** Runs a tool body, turning any thrown error into an error result rather than a protocol error. */
export function guarded<A, E>(logger: Logger, run: (args: A, extra: E) => Promise<CallToolResult> | CallToolResult) {
  return async (args: A, extra: E): Promise<CallToolResult> => {
    try {
      return await run(args, extra);
    } catch (error) {
      return toolError(error, logger);
    }
  };
}
