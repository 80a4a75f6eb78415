import { notBuilt } from './not-built.ts';

export const evalCommand = notBuilt(
  'eval',
  'Evaluate retrieval (beir) or answers (qa)',
  'cairn eval beir|qa <path> [--json]',
  'issues 6 and 7',
);
