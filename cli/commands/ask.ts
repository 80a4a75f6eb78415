import { notBuilt } from './not-built.ts';

export const askCommand = notBuilt(
  'ask',
  'Ask a question; answers with citations',
  'cairn ask "<question>" [--collection c] [--chat id]',
  'issue 7, answering',
);
