import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';

const CLIENT_ID = /^[\w.:-]{1,128}$/;

/**
 * First in the chain: every response, errors included, carries `X-Request-Id` (the client's, when
 * sane) and `X-Processing-Time`.
 */
export function requestMeta(): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    const incoming = ctx.get('X-Request-Id');
    ctx.state.requestId = CLIENT_ID.test(incoming) ? incoming : randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId);
    try {
      await next();
    } finally {
      if (!ctx.headerSent) ctx.set('X-Processing-Time', `${(performance.now() - started).toFixed(1)}ms`);
    }
  };
}
