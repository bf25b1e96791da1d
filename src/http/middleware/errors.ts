import type { Middleware } from 'koa';
import { DriverException, NotFoundError as OrmNotFoundError, UniqueConstraintViolationException, ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import { DatabaseError } from 'pg';
import { ZodError } from 'zod';
import { AppError, type ErrorBody } from '../../errors';
import type { Logger } from '../../logger';

export interface Presented {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

const HTTP_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  411: 'length_required',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'validation_error',
  429: 'rate_limited',
  501: 'not_implemented',
};

/** Postgres data exceptions (SQLSTATE) that only a value sent by the client can cause. */
const VALUE_REFUSALS: Record<string, string> = {
  '22001': 'A value is longer than it may be stored',
  '22003': 'A number is out of the range it may be stored in',
  '22P02': 'A value is not in a form that can be stored',
  '22021': 'A value contains characters that cannot be stored',
  '22P05': 'A value contains characters that cannot be stored',
  '22007': 'A date or time is not in a form that can be stored',
  '22008': 'A date or time is out of the range it may be stored in',
  '54000': 'A value is too large to be stored',
};

/**
 * The SQLSTATE of an error Postgres raised: wrapped by MikroORM (entity manager calls), or as pg
 * throws it (raw `execute`, which MikroORM passes through).
 */
const sqlStateOf = (err: unknown) => (err instanceof DriverException || err instanceof DatabaseError ? String(err.code) : undefined);

/** Maps what handlers and libraries throw onto the documented error shape. */
export function present(err: unknown): Presented {
  if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message, details: err.details };
  if (err instanceof ZodError) {
    return {
      status: 422,
      code: 'validation_error',
      message: 'Request validation failed',
      details: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    };
  }
  if (err instanceof OrmNotFoundError) return { status: 404, code: 'not_found', message: 'Not found' };
  if (err instanceof UniqueConstraintViolationException) return { status: 409, code: 'conflict', message: 'A record with these values already exists' };
  if (err instanceof ForeignKeyConstraintViolationException) return { status: 409, code: 'conflict', message: 'A referenced record does not exist or is still in use' };
  // Postgres refusing a value (too long, out of range, malformed, NUL bytes) is the client's
  // input, not a fault: a backstop for whatever validation let through.
  const state = sqlStateOf(err);
  const refused = state === undefined ? undefined : VALUE_REFUSALS[state];
  if (refused) return { status: 422, code: 'validation_error', message: refused };

  // Errors from koa, koa-body (co-body, formidable) and @koa/router carry status and expose.
  // Formidable (multipart) says its status in `httpCode`, e.g. 413 past maxTotalFileSize.
  const e = err as { status?: unknown; statusCode?: unknown; httpCode?: unknown; expose?: boolean; type?: string; message?: string };
  const status = Number(e.status ?? e.statusCode ?? e.httpCode);
  if (status >= 400 && status < 500) {
    if (e.type === 'entity.parse.failed' || (status === 400 && err instanceof SyntaxError)) return { status: 400, code: 'invalid_json', message: 'Request body is not valid JSON' };
    if (e.type === 'entity.too.large' || status === 413) return { status: 413, code: 'payload_too_large', message: 'Request body is too large' };
    // Unsupported encodings and charsets; the body parser's own messages name them.
    if (status === 415) return { status: 415, code: 'unsupported_media_type', message: e.message ? e.message.slice(0, 200) : 'Unsupported media type' };
    return { status, code: HTTP_CODES[status] ?? 'bad_request', message: e.expose && e.message ? e.message : 'Bad request' };
  }
  return { status: 500, code: 'internal_error', message: 'Internal server error' };
}

/**
 * What of an error may be logged: a driver error's message carries the SQL with its values
 * (password hashes, emails), so only its class and SQLSTATE are kept.
 */
export function loggable(err: unknown): unknown {
  if (err instanceof DriverException) return { name: err.name, code: err.code, sqlState: (err as { sqlState?: string }).sqlState };
  if (err instanceof DatabaseError) return { name: 'DatabaseError', code: err.code };
  return err;
}

/**
 * An adapter's own error shape for the paths it serves: the seeds document theirs, and their
 * clients parse errors that way, down to the ones raised before a route runs (credentials, JSON).
 */
export interface ErrorFormat {
  matches(path: string): boolean;
  render(error: Presented, meta: { requestId: string; seconds: number }): { status: number; body: unknown };
}

/** The single error middleware: nothing below it formats errors, and no stack trace leaves it. */
export function errorHandler(logger: Logger, formats: ErrorFormat[] = []): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } catch (err) {
      const presented = present(err);
      if (presented.status >= 500) logger.error({ err: loggable(err), requestId: ctx.state.requestId, path: ctx.path }, 'request failed');
      if (ctx.headerSent) return; // a stream already started; nothing more can be said
      const format = formats.find((f) => f.matches(ctx.path));
      if (format) {
        const rendered = format.render(presented, { requestId: ctx.state.requestId, seconds: Math.round(performance.now() - started) / 1000 });
        ctx.status = rendered.status;
        ctx.body = rendered.body;
        return;
      }
      const body: ErrorBody = {
        status: 'error',
        error: { code: presented.code, message: presented.message, ...(presented.details === undefined ? {} : { details: presented.details }) },
        request_id: ctx.state.requestId,
      };
      ctx.status = presented.status;
      ctx.body = body;
    }
  };
}
