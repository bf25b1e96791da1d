import { z } from 'zod';
import { EmbeddingError, type Embedder } from './types';

const ResponseSchema = z.object({
  data: z.array(z.object({ index: z.number().int(), embedding: z.array(z.number()) })),
});

export interface HttpEmbedderOptions {
  /** Base URL; `/v1/embeddings` is appended unless the URL already ends with it. */
  url: string;
  apiKey?: string;
  model: string;
  dimensions: number;
  timeoutMs: number;
  /** Texts per request; providers cap the batch (OpenAI: 2048 inputs). */
  batchSize?: number;
}

/**
 * An OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Voyage's compatible API, vLLM, Ollama,
 * LiteLLM…). No retries here: the activity calling it is retried by Temporal.
 */
export class HttpEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  private readonly endpoint: string;

  constructor(private readonly options: HttpEmbedderOptions) {
    this.dimensions = options.dimensions;
    this.id = `http:${options.model}/${options.dimensions}`;
    const base = options.url.replace(/\/+$/, '');
    this.endpoint = base.endsWith('/v1/embeddings') ? base : `${base}/v1/embeddings`;
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const out: number[][] = [];
    const batchSize = this.options.batchSize ?? 128;
    for (let i = 0; i < texts.length; i += batchSize) out.push(...(await this.request(texts.slice(i, i + batchSize), signal)));
    return out;
  }

  private async request(input: string[], signal?: AbortSignal): Promise<number[][]> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    let res: Response;
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: this.options.model, input, dimensions: this.dimensions, encoding_format: 'float' }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      throw new EmbeddingError(`embeddings request failed: ${err instanceof Error ? err.message : String(err)}`, true);
    }
    if (!res.ok) {
      const body = (await res.text().catch(() => '')).slice(0, 300);
      const retryable = res.status === 408 || res.status === 409 || res.status === 429 || res.status >= 500;
      throw new EmbeddingError(`embeddings endpoint answered HTTP ${res.status}: ${body}`, retryable, res.status);
    }
    const parsed = ResponseSchema.safeParse(await res.json().catch(() => null));
    if (!parsed.success || parsed.data.data.length !== input.length) {
      throw new EmbeddingError('embeddings endpoint answered an unexpected shape', false, res.status);
    }
    const vectors = [...parsed.data.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    for (const v of vectors) {
      if (v.length !== this.dimensions) {
        throw new EmbeddingError(`embeddings endpoint returned ${v.length} dimensions, EMBEDDINGS_DIMENSIONS is ${this.dimensions}`, false);
      }
    }
    return vectors.map(unit);
  }
}

/** Cosine similarity in Elasticsearch wants non-zero vectors; unit length makes scores comparable. */
function unit(v: number[]): number[] {
  const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  if (norm === 0) throw new EmbeddingError('embeddings endpoint returned a zero vector', false);
  return v.map((x) => x / norm);
}
