/**
 * The small set of errors the HTTP layer knows how to present. Anything else becomes a 500 whose
 * details stay in the log.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown) {
    super(422, 'validation_error', message, details);
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, code = 'bad_request', details?: unknown) {
    super(400, code, message, details);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found', details?: unknown) {
    super(404, 'not_found', message, details);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message: string, details?: unknown) {
    super(503, 'service_unavailable', message, details);
  }
}

/** The documented error body of the canonical API. */
export interface ErrorBody {
  status: 'error';
  error: { code: string; message: string; details?: unknown };
  request_id: string;
}
