import Router from '@koa/router';
import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { AuditLogSchema, type AuditLog } from '../../db/entities';
import type { AppDeps } from '../deps';
import { requestEm, requireRole } from '../middleware/identity';
import { Instant, Paging, Uuid } from '../schemas';
import { presentAudit } from './presenters';

export const AuditQuerySchema = Paging.extend({
  broker_id: Uuid.optional(),
  actor_id: z.string().max(64).optional(),
  action: z.string().max(100).optional(),
  resource: z.string().max(100).optional(),
  resource_id: z.string().max(100).optional(),
  outcome: z.enum(['success', 'failure']).optional(),
  from: Instant.optional(),
  to: Instant.optional(),
}).refine((q) => !q.from || !q.to || new Date(q.from) < new Date(q.to), { message: 'from must be before to', path: ['from'] });

/** The audit trail: an ADMIN reads its own tenant's (the tenant filter sees to it), a SUPERADMIN all. */
export function auditLogRoutes(_deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/admin/audit-logs' });
  router.use(requireRole('ADMIN', 'SUPERADMIN'));

  router.get('/', async (ctx) => {
    const q = AuditQuerySchema.parse(ctx.query);
    const where: FilterQuery<AuditLog> = {
      ...(q.broker_id ? { tenantId: q.broker_id } : {}),
      ...(q.actor_id ? { actorId: q.actor_id } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.resource ? { resource: q.resource } : {}),
      ...(q.resource_id ? { resourceId: q.resource_id } : {}),
      ...(q.outcome ? { outcome: q.outcome } : {}),
      ...(q.from || q.to ? { createdAt: { ...(q.from ? { $gte: new Date(q.from) } : {}), ...(q.to ? { $lt: new Date(q.to) } : {}) } } : {}),
    };
    const [rows, total] = await requestEm().findAndCount(AuditLogSchema, where, { orderBy: { id: 'desc' }, offset: q.skip, limit: q.limit });
    ctx.body = { data: rows.map(presentAudit), total, skip: q.skip, limit: q.limit };
  });

  return router;
}
