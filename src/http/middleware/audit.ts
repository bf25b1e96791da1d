import type { Middleware } from 'koa';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Principal } from '../../auth/principal';
import { AuditLogSchema } from '../../db/entities';
import type { Logger } from '../../logger';
import { present } from './errors';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whatever a client puts in a path must still fit the row, or the attempt would go unrecorded. */
const clip = (value: string, max: number) => value.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, max).toWellFormed();
const clipOrNull = (value: string | null | undefined, max: number) => (value ? clip(value, max) : null);

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
      const matched = (ctx as { _matchedRoute?: string })._matchedRoute;
      const resource = note.resource ?? (matched ? matched.replace(/^\/(api\/)?(v1\/)?/, '').split('/')[0] : 'unmatched');
      const em = orm.em.fork();
      em.create(AuditLogSchema, {
        tenantId: note.tenantId ?? principal?.tenantId ?? null,
        actorType: principal?.kind ?? 'anonymous',
        actorId: principal?.id ?? null,
        action: clip(note.action ?? (matched ? `${ctx.method} ${matched}` : 'unmatched'), 100),
        resource: clip(resource ?? 'unmatched', 100),
        resourceId: clipOrNull(note.resourceId ?? (ctx.params as Record<string, string> | undefined)?.id, 100),
        method: clip(ctx.method, 10),
        path: clip(ctx.path, 500),
        status,
        outcome: status < 400 ? 'success' : 'failure',
        requestId: String(ctx.state.requestId),
        ip: clipOrNull(ctx.ip, 64),
      });
      await em.flush().catch((err: Error) => logger.error({ err: err.message }, 'audit log write failed'));
    }
  };
}
