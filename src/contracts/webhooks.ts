/** Outbound webhooks: event names, the delivery workflow's id, input and outcome. */

export const WEBHOOK_EVENTS = ['lead.created', 'lead.updated', 'lead.stage_changed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Seed 003's event names, accepted by its `POST /api/webhook` adapter. */
export const LEGACY_WEBHOOK_EVENTS: Readonly<Record<string, WebhookEvent>> = {
  new_lead: 'lead.created',
  lead_updated: 'lead.updated',
};

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One workflow per delivery: starting it again for the same delivery is a no-op. */
export const webhookDeliveryWorkflowId = (tenantId: string, deliveryId: string) => `webhook:${tenantId}:${deliveryId}`;

/** Retry schedule of the HTTP call; every field is optional so tests can shorten it. */
export interface WebhookRetryOptions {
  initialIntervalMs?: number;
  backoffCoefficient?: number;
  maximumIntervalMs?: number;
  maximumAttempts?: number;
}

export const DEFAULT_WEBHOOK_RETRY: Required<WebhookRetryOptions> = {
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 60_000,
  maximumAttempts: 8,
};

export interface WebhookDeliveryRef {
  tenantId: string;
  deliveryId: string;
}

export interface WebhookDeliveryInput extends WebhookDeliveryRef {
  retry?: WebhookRetryOptions;
}

/** What one successful HTTP attempt returned. */
export interface WebhookAttemptResult {
  statusCode: number;
}

export interface WebhookDeliveryOutcome {
  status: Exclude<WebhookDeliveryStatus, 'pending'>;
  statusCode?: number;
  error?: string;
}

/** Receivers get these headers on every attempt; the id stays the same across retries. */
export const WEBHOOK_HEADERS = {
  id: 'X-Webhook-Id',
  timestamp: 'X-Webhook-Timestamp',
  signature: 'X-Webhook-Signature',
} as const;
