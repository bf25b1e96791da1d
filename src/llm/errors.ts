/**
 * The one error a language-model provider throws. `retryable` tells the chat activity whether
 * another attempt can succeed (rate limits, overload, server errors, lost connections, timeouts)
 * or not (a request the API refuses as it is); the activity turns the latter into a
 * non-retryable failure so Temporal stops retrying.
 */
export type LlmErrorCode =
  | 'rate_limited'
  | 'overloaded'
  | 'server_error'
  | 'connection'
  | 'timeout'
  | 'aborted'
  | 'incomplete_response'
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'request_too_large'
  | 'billing'
  | 'internal';

export class LlmError extends Error {
  readonly retryable: boolean;
  readonly code: LlmErrorCode;
  /** HTTP status of the provider's answer, when there was one. */
  readonly status?: number;
  /** How long the provider asked us to wait (429 `retry-after`), for the retry's delay. */
  readonly retryAfterMs?: number;
  /** The provider's request id, for support tickets. */
  readonly requestId?: string;

  constructor(
    message: string,
    init: { code: LlmErrorCode; retryable: boolean; status?: number; retryAfterMs?: number; requestId?: string; cause?: unknown },
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'LlmError';
    this.code = init.code;
    this.retryable = init.retryable;
    if (init.status !== undefined) this.status = init.status;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.requestId !== undefined) this.requestId = init.requestId;
  }
}

/**
 * What the caller's AbortSignal firing becomes. Retryable on purpose: Temporal cancels activities
 * on worker shutdown and heartbeat timeouts, and a non-retryable failure there would fail the
 * conversation for good.
 */
export function abortedError(cause?: unknown): LlmError {
  return new LlmError('The language-model call was cancelled', { code: 'aborted', retryable: true, cause });
}
