import { notBuilt } from './not-built.ts';

export const modelsCommand = notBuilt(
  'models',
  'List or download the configured models',
  'cairn models list|pull',
  'issue 3, models',
);
