import type { Middleware } from 'koa';
import { koaBody, type KoaBodyMiddlewareOptions } from 'koa-body';
import { AppError } from '../../errors';

/**
 * The code of a failed body read. koa-body turns a thrown value it does not see as an Error (one
 * from another realm, as zlib's are under a test VM) into an Error carrying that value's JSON.
 */
function codeOf(error: Error): unknown {
  const own = (error as { code?: unknown }).code;
  if (own !== undefined || error.name !== 'object') return own;
  try {
    return (JSON.parse(error.message) as { code?: unknown } | null)?.code;
  } catch {
    return undefined;
  }
}

/** zlib's codes (gzip, deflate) and brotli's. */
const DECODING_FAILURE = /^(Z_|ERR__ERROR_|ERR_BROTLI_)/;

/**
 * koa-body with the failures a client's bytes cause said as such: a body that does not decode as
 * its Content-Encoding says fails inside zlib or brotli, with no HTTP status of its own.
 */
export function parseBody(options: Partial<KoaBodyMiddlewareOptions>): Middleware {
  return koaBody({
    ...options,
    onError: (error) => {
      const code = codeOf(error);
      if (typeof code === 'string' && DECODING_FAILURE.test(code)) throw new AppError(400, 'invalid_body', 'Request body could not be decoded as its Content-Encoding says');
      throw error;
    },
  });
}

/**
 * JSON travels as UTF-8 (RFC 8259) and the body parser reads it so whatever the header says; a body
 * declared in another charset would be stored misread, so it is refused instead.
 */
export function utf8Json(): Middleware {
  return async (ctx, next) => {
    const charset = ctx.is('json') ? ctx.request.charset : '';
    if (charset && !/^utf-?8$/i.test(charset)) throw new AppError(415, 'unsupported_media_type', `JSON bodies must be UTF-8, not ${charset.slice(0, 40)}`);
    await next();
  };
}
