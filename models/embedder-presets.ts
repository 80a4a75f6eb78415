/**
 * Per-model habits that change what an embedder must do: pooling and query/passage prefixes.
 * Matched on the model reference, so a local copy named like the hub model behaves the same.
 */
export interface EmbedderPreset {
  pooling: 'mean' | 'cls';
  queryPrefix: string;
  passagePrefix: string;
}

const BGE_EN_QUERY = 'Represent this sentence for searching relevant passages: ';
const BGE_ZH_QUERY = '为这个句子生成表示以用于检索相关文章：';

export function embedderPreset(ref: string): EmbedderPreset {
  const name = ref.toLowerCase();
  if (/(^|[/_-])e5([_-]|$)|multilingual-e5|\/e5-/.test(name))
    return { pooling: 'mean', queryPrefix: 'query: ', passagePrefix: 'passage: ' };
  if (/bge-m3/.test(name)) return { pooling: 'cls', queryPrefix: '', passagePrefix: '' };
  if (/bge-.*-zh/.test(name)) return { pooling: 'cls', queryPrefix: BGE_ZH_QUERY, passagePrefix: '' };
  if (/bge-/.test(name)) return { pooling: 'cls', queryPrefix: BGE_EN_QUERY, passagePrefix: '' };
  if (/nomic-embed/.test(name)) return { pooling: 'mean', queryPrefix: 'search_query: ', passagePrefix: 'search_document: ' };
  if (/gte-/.test(name)) return { pooling: 'cls', queryPrefix: '', passagePrefix: '' };
  return { pooling: 'mean', queryPrefix: '', passagePrefix: '' };
}

/** The English default and the multilingual preset that handles Chinese. */
export const DEFAULT_EMBEDDERS = {
  english: 'Xenova/bge-small-en-v1.5',
  multilingual: 'Xenova/multilingual-e5-small',
} as const;
