import type { EntityManager } from '@mikro-orm/postgresql';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { webhookDeliveryWorkflowId, type WebhookDeliveryInput, type WebhookEvent, type WebhookRetryOptions } from '../contracts/webhooks';
import { WebhookDeliverySchema, WebhookSubscriptionSchema, type WebhookDelivery } from '../db/entities';
import { TENANT_FILTER } from '../db/orm';
import type { TemporalDeps } from '../temporal/client';

/** Lets operators find a tenant's deliveries in the Temporal UI. */
const TENANT_ATTRIBUTE = defineSearchAttributeKey('CrmTenantId', SearchAttributeType.KEYWORD);

export interface DispatchDeps {
  em: EntityManager;
  temporal: TemporalDeps;
  /** Tests shorten the retry schedule; production uses the workflow's defaults. */
  retry?: WebhookRetryOptions;
}

/**
 * Starts the delivery workflow of one delivery. The id is derived from the delivery, and a closed
 * or running workflow with that id is kept, so starting twice never sends twice.
 */
export async function startWebhookDelivery(deps: Pick<DispatchDeps, 'temporal' | 'retry'>, tenantId: string, deliveryId: string): Promise<string> {
  const workflowId = webhookDeliveryWorkflowId(tenantId, deliveryId);
  const input: WebhookDeliveryInput = { tenantId, deliveryId, ...(deps.retry ? { retry: deps.retry } : {}) };
  try {
    await deps.temporal.client.workflow.start('webhookDelivery', {
      workflowId,
      taskQueue: deps.temporal.taskQueue,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: TENANT_ATTRIBUTE, value: tenantId }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return workflowId;
}

/**
 * Records one delivery per active subscription of the tenant that wants `event`, then starts a
 * delivery workflow for each. Call it after the change it reports is committed: the rows are
 * written in a fork of `em`, so the caller's unit of work is left alone.
 */
export async function dispatchWebhookEvent(deps: DispatchDeps, tenantId: string, event: WebhookEvent, payload: Record<string, unknown>): Promise<WebhookDelivery[]> {
  const em = deps.em.fork();
  em.setFilterParams(TENANT_FILTER, { tenantId });
  const subscriptions = await em.find(WebhookSubscriptionSchema, { tenantId, isActive: true }, { orderBy: { createdAt: 'asc' } });
  // A tenant has a handful of subscriptions: filtering the event list here beats a JSON query.
  const deliveries = subscriptions
    .filter((s) => s.events.includes(event))
    .map((s) => em.create(WebhookDeliverySchema, { tenantId, subscriptionId: s.id, event, payload }));
  if (deliveries.length === 0) return [];
  await em.flush();
  // One subscription's start failing must not keep the others from being sent.
  const started = await Promise.allSettled(deliveries.map((d) => startWebhookDelivery(deps, tenantId, d.id)));
  const failures = started.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  if (failures.length > 0) throw new AggregateError(failures, `Could not start ${failures.length} of ${deliveries.length} webhook deliveries; their rows stay pending`);
  return deliveries;
}
