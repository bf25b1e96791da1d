import Router from '@koa/router';
import { z } from 'zod';
import { createTenant } from '../../tenants/create';
import { AuthSessionSchema, TenantSchema, UserSchema } from '../../db/entities';
import type { AppDeps } from '../deps';
import { findOr404 } from '../lookup';
import { principalOf, requestEm, requireRole } from '../middleware/identity';
import { Name, Paging } from '../schemas';
import { presentTenant } from './presenters';

export const BrokerCreateSchema = z.strictObject({ name: Name });
export const BrokerUpdateSchema = z.strictObject({ name: Name.optional(), is_active: z.boolean().optional() });

/** Seed 001's /api/brokers: every tenant, for SUPERADMIN only. */
export function brokerRoutes(_deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/brokers' });
  router.use(requireRole('SUPERADMIN'));

  router.get('/', async (ctx) => {
    const { skip, limit } = Paging.parse(ctx.query);
    const [rows, total] = await requestEm().findAndCount(TenantSchema, {}, { orderBy: { createdAt: 'asc' }, offset: skip, limit });
    ctx.body = { data: rows.map(presentTenant), total, skip, limit };
  });

  router.post('/', async (ctx) => {
    const body = BrokerCreateSchema.parse(ctx.request.body);
    const principal = principalOf(ctx);
    const tenant = await requestEm().transactional(async (tx) => createTenant(tx, body.name, principal.id));
    ctx.state.audit = { action: 'brokers.create', resourceId: tenant.id, tenantId: tenant.id };
    ctx.status = 201;
    ctx.body = presentTenant(tenant);
  });

  router.get('/:id', async (ctx) => {
    ctx.body = presentTenant(await findTenant(ctx.params.id));
  });

  router.patch('/:id', async (ctx) => {
    const body = BrokerUpdateSchema.parse(ctx.request.body);
    const tenant = await findTenant(ctx.params.id);
    ctx.state.audit = { action: 'brokers.update', tenantId: tenant.id };
    if (body.name !== undefined) tenant.name = body.name;
    if (body.is_active !== undefined) tenant.isActive = body.is_active;
    await requestEm().flush();
    ctx.body = presentTenant(tenant);
  });

  /** Deactivates rather than deletes: the tenant's records stay for the audit trail. */
  router.delete('/:id', async (ctx) => {
    const tenant = await findTenant(ctx.params.id);
    ctx.state.audit = { action: 'brokers.deactivate', tenantId: tenant.id };
    const em = requestEm();
    await em.transactional(async (tx) => {
      tenant.isActive = false;
      const users = await tx.find(UserSchema, { tenantId: tenant.id });
      await tx.nativeUpdate(AuthSessionSchema, { userId: { $in: users.map((u) => u.id) }, revokedAt: null }, { revokedAt: new Date(), revokedReason: 'tenant_deactivated' });
    });
    ctx.status = 204;
  });

  return router;
}

const findTenant = (id: string | undefined) => findOr404(TenantSchema, id, 'Broker');
