import type { Middleware, ParameterizedContext } from 'koa';
import { RequestContext, type EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../../auth/principal';
import { UnauthorizedError } from '../../auth/tokens';
import type { Role } from '../../db/entities';
import { ALL_TENANTS, TENANT_FILTER } from '../../db/orm';
import { AppError, NotFoundError } from '../../errors';
import type { AppDeps } from '../deps';
import { isAuthPath } from './rate-limit';

export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this') {
    super(403, 'forbidden', message);
  }
}

/** The request's entity manager (RequestContext's fork), tenant-scoped once identity is known. */
export function requestEm(): EntityManager {
  const em = RequestContext.getEntityManager();
  if (!em) throw new Error('no request context');
  return em as EntityManager;
}

export function principalOf(ctx: ParameterizedContext): Principal {
  const principal = ctx.state.principal as Principal | undefined;
  if (!principal) throw new UnauthorizedError();
  return principal;
}

/**
 * Resolves `Authorization: Bearer` or `X-API-Key` into a principal and scopes the request's
 * entity manager to its tenant. No credentials leaves the request anonymous (routes decide);
 * bad credentials are a 401 at once.
 */
export function identify(deps: AppDeps): Middleware {
  return async (ctx, next) => {
    const authorization = ctx.get('Authorization');
    const apiKey = ctx.get('X-API-Key');
    // Sign-in needs no identity, and a client's stale token must not stop it from refreshing.
    if ((authorization || apiKey) && !isAuthPath(ctx.path)) {
      const em = requestEm();
      let principal: Principal;
      if (apiKey) principal = await deps.auth.authenticateApiKey(em, apiKey);
      else {
        const match = /^Bearer\s+(\S+)$/i.exec(authorization);
        if (!match) throw new UnauthorizedError('Authorization must be "Bearer <token>"', 'invalid_token');
        principal = await deps.auth.authenticateBearer(em, match[1]!);
      }
      if (principal.kind === 'api_key' && !['GET', 'HEAD', 'OPTIONS'].includes(ctx.method) && !principal.scopes?.some((s) => s === 'write' || s === 'admin')) {
        throw new ForbiddenError('This API key is read-only');
      }
      ctx.state.principal = principal;
      em.setFilterParams(TENANT_FILTER, { tenantId: principal.tenantId ?? ALL_TENANTS });
    }
    await next();
  };
}

/** Allows only the given roles; anonymous callers get 401, others 403. */
export function requireRole(...roles: Role[]): Middleware {
  return async (ctx, next) => {
    const principal = principalOf(ctx);
    if (!roles.includes(principal.role)) throw new ForbiddenError();
    await next();
  };
}

/**
 * The tenant an action applies to: the caller's own, or for a SUPERADMIN the one named in the
 * request. A SUPERADMIN naming none is a 422; anyone else naming a tenant not theirs gets a 404.
 */
export function targetTenant(ctx: ParameterizedContext, named?: string | null): string {
  const principal = principalOf(ctx);
  if (principal.tenantId) {
    // Naming another tenant is answered as if it did not exist.
    if (named && named !== principal.tenantId) throw new NotFoundError('Broker not found');
    return principal.tenantId;
  }
  if (!named) throw new AppError(422, 'validation_error', 'broker_id is required for a SUPERADMIN', [{ path: 'broker_id', message: 'required' }]);
  return named;
}

/**
 * A list's tenant condition: the tenant a request names (a SUPERADMIN any, others only their
 * own, as `targetTenant`), or none, leaving the request's tenant filter to decide.
 */
export function namedTenant(ctx: ParameterizedContext, named?: string | null): { tenantId?: string } {
  return named ? { tenantId: targetTenant(ctx, named) } : {};
}
