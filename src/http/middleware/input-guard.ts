import type { Middleware } from 'koa';
import { ValidationError } from '../../errors';

/** NUL and unpaired surrogates: valid in JSON, refused by Postgres text and jsonb. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function findUnstorable(value: unknown, path: string[] = []): string | null {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path.join('.') || '(body)' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = UNSTORABLE.test(key) ? [...path, key].join('.') : findUnstorable(item, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

/**
 * One check for every route: text that Postgres cannot store is a 422 naming the field, never a
 * failed insert deep in a handler.
 */
export function inputGuard(): Middleware {
  return async (ctx, next) => {
    const where = findUnstorable(ctx.query) ?? findUnstorable(ctx.request.body);
    if (where) throw new ValidationError('Request validation failed', [{ path: where, message: 'contains a NUL character or an unpaired surrogate' }]);
    await next();
  };
}
