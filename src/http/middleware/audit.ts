import type { Middleware } from 'koa';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Principal } from '../../auth/principal';
import { AuditLogSchema } from '../../db/entities';
import type { Logger } from '../../logger';
import { present } from './errors';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What a route may say about itself for the audit log; the rest is read off the request. */
export interface AuditNote {
  action?: string;
  resource?: string;
  resourceId?: string;
  tenantId?: string;
}

/**
 * Records every mutating request: who, tenant, action, resource and id, outcome and request id.
 * Bodies are never stored, so no password, token or key can end up here.
 */
export function audit(orm: MikroORM, logger: Logger): Middleware {
  return async (ctx, next) => {
    if (!MUTATING.has(ctx.method)) return next();
    let status = 500;
    try {
      await next();
      status = ctx.status;
    } catch (err) {
      status = present(err).status;
      throw err;
    } finally {
      const principal = ctx.state.principal as Principal | undefined;
      const note = (ctx.state.audit ?? {}) as AuditNote;
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? ctx.path;
      const resource = note.resource ?? route.replace(/^\/(api\/)?(v1\/)?/, '').split('/')[0] ?? 'unknown';
      const em = orm.em.fork();
      em.create(AuditLogSchema, {
        tenantId: note.tenantId ?? principal?.tenantId ?? null,
        actorType: principal?.kind ?? 'anonymous',
        actorId: principal?.id ?? null,
        action: note.action ?? `${ctx.method} ${route}`,
        resource,
        resourceId: note.resourceId ?? (ctx.params as Record<string, string> | undefined)?.id ?? null,
        method: ctx.method,
        path: ctx.path.slice(0, 500),
        status,
        outcome: status < 400 ? 'success' : 'failure',
        requestId: String(ctx.state.requestId),
        ip: ctx.ip || null,
      });
      await em.flush().catch((err: Error) => logger.error({ err: err.message }, 'audit log write failed'));
    }
  };
}
