import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { hashPassword } from '../../auth/secrets';
import { configSnapshot } from '../../tenants/create';
import { AuthSessionSchema, TenantConfigSchema, TenantConfigVersionSchema, TenantSchema, UserSchema } from '../../db/entities';
import { NotFoundError } from '../../errors';
import type { AppDeps } from '../deps';
import { findOr404, lockedForUpdate } from '../lookup';
import { ForbiddenError, principalOf, requestEm, requireRole, targetTenant } from '../middleware/identity';
import { Email, Name, Paging, Password, Uuid } from '../schemas';
import { presentConfig, presentConfigFields, presentUser } from './presenters';

const StaffRole = z.enum(['ADMIN', 'AGENT']);
export const BrokerUserCreateSchema = z.strictObject({ email: Email, password: Password, name: Name, role: StaffRole.default('AGENT'), broker_id: Uuid.optional() });
export const BrokerUserUpdateSchema = z.strictObject({ name: Name.optional(), role: StaffRole.optional(), password: Password.optional(), is_active: z.boolean().optional() });
const BrokerQuery = z.object({ broker_id: Uuid.optional() });

const PromptSectionsSchema = z.strictObject({
  identity: z.string().max(4000),
  goals: z.string().max(4000),
  style: z.string().max(4000),
  rules: z.string().max(4000),
});
export const BrokerConfigUpdateSchema = z.strictObject({
  broker_id: Uuid.optional(),
  assistant_name: z.string().trim().min(1).max(100).optional(),
  persona: z.string().trim().min(1).max(4000).optional(),
  tone: z.string().trim().min(1).max(100).optional(),
  prompt_sections: PromptSectionsSchema.partial().optional(),
  lead_scoring_weights: z.record(z.string().regex(/^[a-z_]{1,50}$/), z.number().min(0).max(100)).optional(),
  sla_policies: z
    .array(z.strictObject({ priority: z.enum(['low', 'medium', 'high', 'urgent']), firstResponseMinutes: z.number().int().positive(), resolutionMinutes: z.number().int().positive() }))
    .max(4)
    .optional(),
});

/** Seed 001's /api/broker: an ADMIN manages its own tenant's staff and assistant configuration. */
export function brokerAdminRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/broker' });
  router.use(requireRole('ADMIN', 'SUPERADMIN'));

  router.get('/users', async (ctx) => {
    const { skip, limit } = Paging.parse(ctx.query);
    const { broker_id } = BrokerQuery.parse(ctx.query);
    const where = broker_id ? { tenantId: broker_id } : {};
    const [rows, total] = await requestEm().findAndCount(UserSchema, where, { orderBy: { createdAt: 'asc' }, offset: skip, limit });
    ctx.body = { data: rows.map(presentUser), total, skip, limit };
  });

  router.post('/users', async (ctx) => {
    const body = BrokerUserCreateSchema.parse(ctx.request.body);
    const tenantId = targetTenant(ctx, body.broker_id);
    await findOr404(TenantSchema, tenantId, 'Broker');
    const user = await deps.auth.createUser(requestEm(), { tenantId, email: body.email, password: body.password, name: body.name, role: body.role });
    ctx.state.audit = { action: 'users.create', resource: 'users', resourceId: user.id, tenantId };
    ctx.status = 201;
    ctx.body = presentUser(user);
  });

  router.get('/users/:id', async (ctx) => {
    ctx.body = presentUser(await findUser(ctx.params.id));
  });

  router.patch('/users/:id', async (ctx) => {
    const body = BrokerUserUpdateSchema.parse(ctx.request.body);
    const user = await findUser(ctx.params.id);
    ctx.state.audit = { action: 'users.update', resource: 'users', resourceId: user.id, tenantId: user.tenantId };
    guardSelf(ctx, user.id, body.is_active === false || (body.role !== undefined && body.role !== user.role));
    if (body.name !== undefined) user.name = body.name;
    if (body.role !== undefined) user.role = body.role;
    if (body.password !== undefined) user.passwordHash = await hashPassword(body.password);
    const em = requestEm();
    await em.transactional(async (tx) => {
      if (body.is_active !== undefined) user.isActive = body.is_active;
      // Deactivation or a new password ends every session at once.
      if (body.is_active === false || body.password !== undefined) await revokeSessions(tx, user.id, body.is_active === false ? 'user_deactivated' : 'password_changed');
    });
    ctx.body = presentUser(user);
  });

  router.post('/users/:id/deactivate', async (ctx) => {
    const user = await findUser(ctx.params.id);
    ctx.state.audit = { action: 'users.deactivate', resource: 'users', resourceId: user.id, tenantId: user.tenantId };
    guardSelf(ctx, user.id, true);
    await requestEm().transactional(async (tx) => {
      user.isActive = false;
      await revokeSessions(tx, user.id, 'user_deactivated');
    });
    ctx.body = presentUser(user);
  });

  router.get('/config', async (ctx) => {
    const tenantId = targetTenant(ctx, BrokerQuery.parse(ctx.query).broker_id);
    ctx.body = presentConfig(await findConfig(tenantId));
  });

  router.put('/config', async (ctx) => {
    const body = BrokerConfigUpdateSchema.parse(ctx.request.body);
    const tenantId = targetTenant(ctx, body.broker_id);
    const principal = principalOf(ctx);
    await findConfig(tenantId);
    ctx.state.audit = { action: 'config.update', resource: 'config', resourceId: tenantId, tenantId };
    const config = await requestEm().transactional(async (tx) => {
      // Updates queue on the config row, so each builds on the last and numbers its version after it.
      const config = await lockedForUpdate(tx, TenantConfigSchema, { tenantId });
      if (body.assistant_name !== undefined) config.assistantName = body.assistant_name;
      if (body.persona !== undefined) config.persona = body.persona;
      if (body.tone !== undefined) config.tone = body.tone;
      if (body.prompt_sections) config.promptSections = { ...config.promptSections, ...body.prompt_sections };
      if (body.lead_scoring_weights) config.leadScoringWeights = body.lead_scoring_weights;
      if (body.sla_policies) config.slaPolicies = body.sla_policies;
      config.version += 1;
      config.updatedBy = principal.kind === 'user' ? principal.id : null;
      tx.create(TenantConfigVersionSchema, { tenantId, version: config.version, createdBy: config.updatedBy, snapshot: configSnapshot(config) });
      return config;
    });
    ctx.body = presentConfig(config);
  });

  router.get('/config/versions', async (ctx) => {
    const { skip, limit } = Paging.parse(ctx.query);
    const tenantId = targetTenant(ctx, BrokerQuery.parse(ctx.query).broker_id);
    const [rows, total] = await requestEm().findAndCount(TenantConfigVersionSchema, { tenantId }, { orderBy: { version: 'desc' }, offset: skip, limit });
    ctx.body = { data: rows.map((v) => ({ version: v.version, created_by: v.createdBy ?? null, created_at: v.createdAt, ...presentConfigFields(v.snapshot as Parameters<typeof presentConfigFields>[0]) })), total, skip, limit };
  });

  return router;
}

async function findUser(id: string | undefined) {
  return findOr404(UserSchema, id, 'User', { role: { $ne: 'SUPERADMIN' } });
}

async function findConfig(tenantId: string) {
  const config = await requestEm().findOne(TenantConfigSchema, { tenantId });
  if (!config) throw new NotFoundError('Broker not found');
  return config;
}

/** An admin may not lock themself out (deactivate or demote their own account). */
function guardSelf(ctx: ParameterizedContext, userId: string, locksOut: boolean) {
  if (locksOut && principalOf(ctx).id === userId) throw new ForbiddenError('You cannot deactivate or demote your own account');
}

async function revokeSessions(em: ReturnType<typeof requestEm>, userId: string, reason: string) {
  await em.nativeUpdate(AuthSessionSchema, { userId, revokedAt: null }, { revokedAt: new Date(), revokedReason: reason });
}
