import type { Config } from '../config';
import { HttpEmbedder } from './http';
import { LocalEmbedder } from './local';
import type { Embedder } from './types';

export * from './types';
export { LocalEmbedder } from './local';
export { HttpEmbedder } from './http';

/** The configured embedder; the API (query vectors) and the worker (documents) must agree. */
export function createEmbedder(
  config: Pick<Config, 'EMBEDDINGS_PROVIDER' | 'EMBEDDINGS_URL' | 'EMBEDDINGS_API_KEY' | 'EMBEDDINGS_MODEL' | 'EMBEDDINGS_DIMENSIONS' | 'EMBEDDINGS_TIMEOUT_MS'>,
): Embedder {
  if (config.EMBEDDINGS_PROVIDER === 'http') {
    return new HttpEmbedder({
      url: config.EMBEDDINGS_URL!,
      apiKey: config.EMBEDDINGS_API_KEY,
      model: config.EMBEDDINGS_MODEL,
      dimensions: config.EMBEDDINGS_DIMENSIONS,
      timeoutMs: config.EMBEDDINGS_TIMEOUT_MS,
    });
  }
  return new LocalEmbedder(config.EMBEDDINGS_DIMENSIONS);
}
