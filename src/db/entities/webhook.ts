import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { WEBHOOK_DELIVERY_STATUSES, type WebhookEvent } from '../../contracts/webhooks';

/**
 * A tenant's receiver for some events. `secret` is the HMAC key deliveries are signed with, so
 * unlike API keys it is stored as is (it must be readable to sign); it is returned only once, in
 * the create response, and never listed.
 */
export const WebhookSubscriptionSchema = defineEntity({
  name: 'WebhookSubscription',
  tableName: 'webhook_subscriptions',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenantId: p.uuid().index(),
    url: p.string().length(2048),
    events: p.json<WebhookEvent[]>(),
    secret: p.string().length(200).hidden(),
    isActive: p.boolean().default(true),
    createdBy: p.uuid().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  }),
});
export type WebhookSubscription = InferEntity<typeof WebhookSubscriptionSchema>;

/** One event sent to one subscription; its id is the `X-Webhook-Id` every retry repeats. */
export const WebhookDeliverySchema = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  indexes: [{ properties: ['subscriptionId', 'createdAt'] }],
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenantId: p.uuid().index(),
    subscriptionId: p.uuid(),
    event: p.string().length(100),
    payload: p.json<Record<string, unknown>>(),
    status: p.enum([...WEBHOOK_DELIVERY_STATUSES]).default('pending'),
    attempts: p.integer().default(0),
    lastStatusCode: p.integer().nullable(),
    lastError: p.string().length(1000).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    deliveredAt: p.datetime().nullable(),
  }),
});
export type WebhookDelivery = InferEntity<typeof WebhookDeliverySchema>;
