import { notBuilt } from './not-built.ts';

export const keysCommand = notBuilt(
  'keys',
  'Create, list or revoke API keys',
  'cairn keys create|list|revoke',
  'issue 8, server',
);
