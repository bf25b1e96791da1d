import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';

export const TRANSACTION_STATUSES = ['offer', 'negotiation', 'accepted', 'closed', 'rejected', 'cancelled'] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

/** Which status may follow which; the last three are final. */
export const TRANSACTION_TRANSITIONS: Record<TransactionStatus, TransactionStatus[]> = {
  offer: ['negotiation', 'accepted', 'rejected', 'cancelled'],
  negotiation: ['accepted', 'rejected', 'cancelled'],
  accepted: ['closed', 'cancelled'],
  closed: [],
  rejected: [],
  cancelled: [],
};

/** A sale or rental on its way from offer to close (seed 002). Money in minor units avoids float drift. */
export const DealSchema = defineEntity({
  name: 'Deal',
  tableName: 'transactions',
  indexes: [{ name: 'transactions_tenant_status_index', properties: ['tenantId', 'status'] }],
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenantId: p.uuid(),
    customerId: p.uuid().index(),
    kind: p.enum(['sale', 'rent']),
    propertyRef: p.string().length(200).nullable(),
    amountCents: p.bigint('number'),
    currency: p.string().length(3),
    /** Commission rate in basis points (300 = 3%). */
    commissionBps: p.integer(),
    status: p.enum([...TRANSACTION_STATUSES]).default('offer'),
    notes: p.text().nullable(),
    createdBy: p.string().length(64).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
});
export type Deal = InferEntity<typeof DealSchema>;

/** Every status change of a transaction, for seed 002's transaction_history. */
export const DealHistorySchema = defineEntity({
  name: 'DealHistory',
  tableName: 'transaction_history',
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    tenantId: p.uuid(),
    transactionId: p.uuid().index(),
    fromStatus: p.string().length(20).nullable(),
    toStatus: p.string().length(20),
    note: p.text().nullable(),
    actorId: p.string().length(64).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  }),
});
export type DealHistory = InferEntity<typeof DealHistorySchema>;
