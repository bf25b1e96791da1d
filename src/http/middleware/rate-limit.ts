import type { Middleware } from 'koa';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Principal } from '../../auth/principal';
import { AppError } from '../../errors';

/** Paths an anonymous client can hammer: limited per client address. */
const AUTH_PATHS = new Set(['/auth/login', '/auth/register', '/api/v1/auth/login', '/api/v1/auth/refresh']);

/** Sign-in paths as the router matches them: any case, with or without a trailing slash. */
export const isAuthPath = (path: string) => AUTH_PATHS.has(path.toLowerCase().replace(/\/+$/, ''));

const COUNT_SQL = `
insert into rate_limit_windows (subject, window_start, count) values (?, date_trunc('minute', now()), 1)
on conflict (subject, window_start) do update set count = rate_limit_windows.count + 1
returning count, ceil(extract(epoch from (window_start + interval '1 minute' - now())))::int as reset_s`;

/** Old windows are swept now and then by whichever request draws the short straw. */
const SWEEP_SQL = `delete from rate_limit_windows where window_start < now() - interval '5 minutes'`;
const SWEEP_PROBABILITY = 0.002;

/**
 * Fixed one-minute windows counted in Postgres, shared by every API process: per API key or
 * user once identified, per client address on the sign-in endpoints.
 */
export function rateLimit(orm: MikroORM, defaults: { perMinute: number; authPerMinute: number }): Middleware {
  return async (ctx, next) => {
    const principal = ctx.state.principal as Principal | undefined;
    let subject: string | undefined;
    let limit = defaults.perMinute;
    // The router ignores case and a trailing slash, so the limiter must too. Sign-in is always
    // counted per address: credentials on the request must not buy a bigger budget.
    if (isAuthPath(ctx.path)) {
      subject = `ip:${ctx.ip}`;
      limit = defaults.authPerMinute;
    } else if (principal) {
      subject = `${principal.kind === 'api_key' ? 'key' : 'user'}:${principal.id}`;
      limit = principal.rateLimitPerMinute ?? defaults.perMinute;
    }
    if (!subject) return next();

    const [row] = await orm.em.execute<Array<{ count: number; reset_s: number }>>(COUNT_SQL, [subject]);
    if (Math.random() < SWEEP_PROBABILITY) void orm.em.execute(SWEEP_SQL).catch(() => undefined);
    const resetSeconds = Math.max(1, row!.reset_s);
    ctx.set('X-RateLimit-Limit', String(limit));
    ctx.set('X-RateLimit-Remaining', String(Math.max(0, limit - row!.count)));
    ctx.set('X-RateLimit-Reset', String(resetSeconds));
    if (row!.count > limit) {
      ctx.set('Retry-After', String(resetSeconds));
      throw new AppError(429, 'rate_limited', `Rate limit of ${limit} requests per minute exceeded; retry in ${resetSeconds} s`, { limit, retry_after_seconds: resetSeconds });
    }
    await next();
  };
}
