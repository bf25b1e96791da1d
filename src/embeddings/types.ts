/** Turns texts into vectors for the kNN side of retrieval; one interface for every provider. */
export interface Embedder {
  /** Names the model and size; the search indices record it, and a change rebuilds them. */
  readonly id: string;
  readonly dimensions: number;
  /** One unit-length vector per text, in order. */
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

/** A provider failure, with whether trying again can help (the activity decides what to do). */
export class EmbeddingError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'EmbeddingError';
  }
}
