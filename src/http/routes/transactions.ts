import Router from '@koa/router';
import type { FilterQuery } from '@mikro-orm/core';
import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { CustomerSchema, DealHistorySchema, DealSchema, TRANSACTION_STATUSES, TRANSACTION_TRANSITIONS, type Deal, type TransactionStatus } from '../../db/entities';
import { AppError, NotFoundError, ValidationError } from '../../errors';
import { recordLeadChange, setStage } from '../../leads/service';
import { notifyLeadWorkflow } from '../../leads/workflow';
import type { AppDeps } from '../deps';
import { findOr404, lockedForUpdate } from '../lookup';
import { principalOf, requestEm, requireRole } from '../middleware/identity';
import { Paging, Uuid } from '../schemas';
import { visibility } from './leads';

export const DealCreateSchema = z.strictObject({
  client_id: Uuid,
  kind: z.enum(['sale', 'rent']),
  property_ref: z.string().trim().min(1).max(200).optional(),
  amount: z.number().positive().max(1e12).refine((v) => Math.abs(Math.round(v * 100) - v * 100) < 1e-6, 'at most two decimals'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. CLP, USD').default('USD'),
  commission_rate: z.number().min(0).max(100).default(3),
  notes: z.string().trim().max(4000).optional(),
});
export const DealStatusSchema = z.strictObject({ status: z.enum(TRANSACTION_STATUSES), note: z.string().trim().max(2000).optional() });
export const DealListQuerySchema = Paging.extend({ status: z.enum(TRANSACTION_STATUSES).optional(), client_id: Uuid.optional() });

const presentDeal = (d: Deal) => {
  const amount = d.amountCents / 100;
  return {
    id: d.id,
    client_id: d.customerId,
    kind: d.kind,
    property_ref: d.propertyRef ?? null,
    amount,
    currency: d.currency,
    commission_rate: d.commissionBps / 100,
    commission: Math.round(d.amountCents * d.commissionBps / 10_000) / 100,
    status: d.status,
    allowed_next: TRANSACTION_TRANSITIONS[d.status as TransactionStatus],
    notes: d.notes ?? null,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
  };
};

/** Seed 002's transactions: offers move through a checked lifecycle, every move in the history. */
export function transactionRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/transactions' });
  router.use(requireRole('SUPERADMIN', 'ADMIN', 'AGENT'));

  router.get('/', async (ctx) => {
    const q = DealListQuerySchema.parse(ctx.query);
    const mine = await agentClientIds(ctx);
    const clients = mine ? mine.filter((id) => !q.client_id || id === q.client_id) : q.client_id ? [q.client_id] : null;
    const where: FilterQuery<Deal> = { ...(q.status ? { status: q.status } : {}), ...(clients ? { customerId: { $in: clients } } : {}) };
    const [rows, total] = await requestEm().findAndCount(DealSchema, where, { orderBy: { createdAt: 'desc', id: 'asc' }, offset: q.skip, limit: q.limit });
    ctx.body = { data: rows.map(presentDeal), total, skip: q.skip, limit: q.limit };
  });

  router.post('/', async (ctx) => {
    const body = DealCreateSchema.parse(ctx.request.body);
    const principal = principalOf(ctx);
    const client = await requestEm().findOne(CustomerSchema, { id: body.client_id, ...visibility(ctx) });
    if (!client) throw new ValidationError('client_id is not a client of this broker', [{ path: 'client_id', message: 'unknown client' }]);
    const deal = await requestEm().transactional(async (tx) => {
      const created = tx.create(DealSchema, {
        tenantId: client.tenantId,
        customerId: client.id,
        kind: body.kind,
        propertyRef: body.property_ref ?? null,
        amountCents: Math.round(body.amount * 100),
        currency: body.currency,
        commissionBps: Math.round(body.commission_rate * 100),
        notes: body.notes ?? null,
        createdBy: principal.id,
      });
      await tx.flush();
      tx.create(DealHistorySchema, { tenantId: client.tenantId, transactionId: created.id, fromStatus: null, toStatus: 'offer', note: body.notes ?? null, actorId: principal.id });
      await recordLeadChange(tx, client, { type: 'transaction', description: `Offer recorded (${body.kind})`, actorId: principal.id, data: { transaction_id: created.id } });
      return created;
    });
    ctx.state.audit = { action: 'transactions.create', resource: 'transactions', resourceId: deal.id };
    ctx.status = 201;
    ctx.body = presentDeal(deal);
  });

  router.get('/:id', async (ctx) => {
    const deal = await findDeal(ctx);
    const history = await requestEm().find(DealHistorySchema, { transactionId: deal.id }, { orderBy: { id: 'asc' } });
    ctx.body = { ...presentDeal(deal), history: history.map((h) => ({ from: h.fromStatus ?? null, to: h.toStatus, note: h.note ?? null, actor_id: h.actorId ?? null, at: h.createdAt })) };
  });

  router.patch('/:id/status', async (ctx) => {
    const body = DealStatusSchema.parse(ctx.request.body);
    const found = await findDeal(ctx);
    const principal = principalOf(ctx);
    const deal = await requestEm().transactional(async (tx) => {
      // Moves of one deal queue on its row, each checked against the status the one before left.
      const deal = await lockedForUpdate(tx, DealSchema, { id: found.id });
      const from = deal.status as TransactionStatus;
      if (!TRANSACTION_TRANSITIONS[from].includes(body.status)) {
        throw new AppError(409, 'invalid_transition', `A transaction cannot go from ${from} to ${body.status}`, { from, allowed: TRANSACTION_TRANSITIONS[from] });
      }
      deal.status = body.status;
      tx.create(DealHistorySchema, { tenantId: deal.tenantId, transactionId: deal.id, fromStatus: from, toStatus: body.status, note: body.note ?? null, actorId: principal.id });
      // A closed deal wins the customer.
      const client = await tx.findOneOrFail(CustomerSchema, { id: deal.customerId });
      if (body.status === 'closed') setStage(client, 'ganado');
      await recordLeadChange(tx, client, { type: 'transaction', description: `Transaction ${from} → ${body.status}`, actorId: principal.id, event: body.status === 'closed' ? 'lead.stage_changed' : 'lead.updated', data: { transaction_id: deal.id, from, to: body.status } });
      return deal;
    });
    if (body.status === 'closed') await notifyLeadWorkflow(deps, deal.tenantId, deal.customerId, { kind: 'manual_edit', actorId: principal.id, event: 'lead.stage_changed' });
    ctx.state.audit = { action: 'transactions.status', resource: 'transactions', resourceId: deal.id };
    ctx.body = presentDeal(deal);
  });

  return router;
}

/** The clients an AGENT works (their deals are the ones they see); null for everyone else. */
async function agentClientIds(ctx: ParameterizedContext): Promise<string[] | null> {
  const mine = visibility(ctx);
  if (!mine.assignedAgentId) return null;
  return (await requestEm().find(CustomerSchema, mine, { fields: ['id'] })).map((c) => c.id);
}

/** A deal of this tenant, and for an AGENT of one of their clients; anything else is a 404. */
async function findDeal(ctx: ParameterizedContext): Promise<Deal> {
  const deal = await findOr404(DealSchema, ctx.params.id, 'Transaction');
  const mine = visibility(ctx);
  if (mine.assignedAgentId && !(await requestEm().count(CustomerSchema, { id: deal.customerId, ...mine }))) throw new NotFoundError('Transaction not found');
  return deal;
}
