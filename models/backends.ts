/**
 * Backends load on first use: transformers.js and node-llama-cpp take seconds to import, and a
 * process that only lists models or uses the hash embedder should not pay for them.
 */
export const transformersEmbedder = () => import('./transformers-embedder.ts');
export const transformersReranker = () => import('./transformers-reranker.ts');
export const staticEmbedder = () => import('./static-embedder.ts');
export const openAiEmbedder = () => import('./openai-embedder.ts');
export const openAiGenerator = () => import('./openai-generator.ts');
export const llamaRuntime = () => import('./llama-runtime.ts');
export const llamaGenerator = () => import('./llama-generator.ts');
