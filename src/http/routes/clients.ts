import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { LEAD_STATUSES } from '../../contracts';
import { CustomerSchema, UserSchema, type Customer } from '../../db/entities';
import { ValidationError } from '../../errors';
import { recordLeadChange } from '../../leads/service';
import { notifyLeadWorkflow } from '../../leads/workflow';
import type { AppDeps } from '../deps';
import { findOr404 } from '../lookup';
import { principalOf, requestEm, requireRole } from '../middleware/identity';
import { numeric, Uuid } from '../schemas';
import { LeadCreateSchema, leadFieldsFrom, presentLead, searchTerms, visibility, createLead } from './leads';

export const ClientListQuerySchema = z.object({
  limit: numeric(z.number().int().min(1).max(200).default(50)),
  offset: numeric(z.number().int().min(0).max(1_000_000).default(0)),
  search: z.string().trim().min(1).max(200).optional(),
  status: z.enum(LEAD_STATUSES).optional(),
  assigned_agent_id: Uuid.optional(),
});
export const ClientPatchSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  phone: z.string().trim().min(3).max(40).nullable().optional(),
  email: z.email().max(320).nullable().optional(),
  preferences: z.record(z.string().max(100), z.unknown()).refine((p) => JSON.stringify(p).length <= 16_384, 'at most 16 KB').optional(),
  assigned_agent_id: Uuid.nullable().optional(),
  notes: z.string().trim().max(4000).nullable().optional(),
});

const presentClient = (c: Customer) => ({ ...presentLead(c), preferences: c.preferences });

/** Seed 002's clients: the same customer records as leads, paged with limit/offset. */
export function clientRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/clients' });
  router.use(requireRole('SUPERADMIN', 'ADMIN', 'AGENT'));
  const region = deps.config.DEFAULT_PHONE_REGION;

  router.get('/', async (ctx) => {
    const q = ClientListQuerySchema.parse(ctx.query);
    const where: FilterQuery<Customer> = {
      ...visibility(ctx),
      ...(q.status ? { status: q.status } : {}),
      ...(q.assigned_agent_id ? { assignedAgentId: q.assigned_agent_id } : {}),
      ...(q.search ? { $or: searchTerms(q.search, region) } : {}),
    };
    const [rows, total] = await requestEm().findAndCount(CustomerSchema, where, { orderBy: { createdAt: 'desc', id: 'asc' }, offset: q.offset, limit: q.limit });
    ctx.body = { data: rows.map(presentClient), total, limit: q.limit, offset: q.offset };
  });

  router.post('/', async (ctx) => {
    const body = LeadCreateSchema.parse(ctx.request.body);
    const client = await createLead(deps, ctx, body);
    ctx.state.audit = { action: 'clients.create', resource: 'clients', resourceId: client.id };
    ctx.status = 201;
    ctx.body = presentClient(client);
  });

  router.patch('/:id', async (ctx) => {
    const body = ClientPatchSchema.parse(ctx.request.body);
    const client = await findOr404(CustomerSchema, ctx.params.id, 'Client', visibility(ctx));
    await updateClient(deps, ctx, client, body);
    ctx.state.audit = { action: 'clients.update', resource: 'clients', resourceId: client.id };
    ctx.body = presentClient(client);
  });

  return router;
}

/** Applies a client patch (preferences are merged), logs it and tells the lead's workflow. */
export async function updateClient(deps: AppDeps, ctx: ParameterizedContext, client: Customer, body: z.infer<typeof ClientPatchSchema>): Promise<void> {
  const principal = principalOf(ctx);
  if (body.assigned_agent_id !== undefined && principal.role === 'AGENT') throw new ValidationError('Only an ADMIN reassigns clients', [{ path: 'assigned_agent_id', message: 'not allowed' }]);
  if (body.assigned_agent_id) {
    const agent = await requestEm().findOne(UserSchema, { id: body.assigned_agent_id, tenantId: client.tenantId, isActive: true });
    if (!agent || agent.role === 'SUPERADMIN') throw new ValidationError('assigned_agent_id is not an active user of this broker', [{ path: 'assigned_agent_id', message: 'unknown agent' }]);
  }
  await requestEm().transactional(async (tx) => {
    tx.assign(client, leadFieldsFrom(body, deps.config.DEFAULT_PHONE_REGION));
    if (body.preferences) client.preferences = { ...client.preferences, ...body.preferences };
    if (body.assigned_agent_id !== undefined) client.assignedAgentId = body.assigned_agent_id;
    await recordLeadChange(tx, client, { type: 'updated', description: `Client updated: ${Object.keys(body).join(', ')}`, actorId: principal.id, data: { fields: Object.keys(body) } });
  });
  await notifyLeadWorkflow(deps, client.tenantId, client.id, { kind: 'manual_edit', actorId: principal.id, event: 'lead.updated' });
}
