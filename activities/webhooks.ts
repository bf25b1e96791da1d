import { ApplicationFailure } from '@temporalio/activity';
import { raw } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { WEBHOOK_HEADERS, type WebhookAttemptResult, type WebhookDeliveryOutcome, type WebhookDeliveryRef } from '../src/contracts/webhooks';
import { WebhookDeliverySchema, WebhookSubscriptionSchema } from '../src/db/entities';
import { TENANT_FILTER } from '../src/db/orm';
import { signatureHeader } from '../src/webhooks/signature';

/** Below the activity's startToClose timeout, so a slow receiver counts as a failed attempt. */
export const WEBHOOK_REQUEST_TIMEOUT_MS = 10_000;
const MAX_ERROR_LENGTH = 1000;

/** 4xx means the receiver refuses this request as such; 408 and 429 ask to come back later. */
const isPermanentRefusal = (status: number) => status >= 400 && status < 500 && status !== 408 && status !== 429;

export function createWebhookActivities(deps: { orm: MikroORM }) {
  const scopedEm = (tenantId: string) => {
    const em = deps.orm.em.fork();
    em.setFilterParams(TENANT_FILTER, { tenantId });
    return em;
  };

  return {
    /**
     * One signed POST to the subscription. Every attempt is counted and its result kept on the
     * delivery row; a failed attempt throws so Temporal retries it on the workflow's schedule.
     */
    async deliverWebhook(ref: WebhookDeliveryRef): Promise<WebhookAttemptResult> {
      const em = scopedEm(ref.tenantId);
      const delivery = await em.findOne(WebhookDeliverySchema, { id: ref.deliveryId });
      if (!delivery) throw ApplicationFailure.nonRetryable(`Webhook delivery ${ref.deliveryId} not found`, 'WebhookDeliveryNotFound');
      // A delivery already accepted is not sent again, whatever re-ran this activity.
      if (delivery.status === 'delivered') return { statusCode: delivery.lastStatusCode ?? 200 };
      const subscription = await em.findOne(WebhookSubscriptionSchema, { id: delivery.subscriptionId });
      if (!subscription?.isActive) throw ApplicationFailure.nonRetryable('The webhook subscription is no longer active', 'WebhookSubscriptionInactive');

      const body = JSON.stringify({ id: delivery.id, event: delivery.event, created_at: delivery.createdAt.toISOString(), data: delivery.payload });
      const timestamp = Math.floor(Date.now() / 1000);
      let statusCode: number | null = null;
      let error: string | null = null;
      try {
        const res = await fetch(subscription.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            [WEBHOOK_HEADERS.id]: delivery.id,
            [WEBHOOK_HEADERS.timestamp]: String(timestamp),
            [WEBHOOK_HEADERS.signature]: signatureHeader(subscription.secret, timestamp, body),
          },
          body,
          // A redirect could send the signed request somewhere the URL checks never saw.
          redirect: 'manual',
          signal: AbortSignal.timeout(WEBHOOK_REQUEST_TIMEOUT_MS),
        });
        statusCode = res.status;
        await res.body?.cancel(); // the receiver's answer is not used; free the socket
        if (res.status < 200 || res.status >= 300) error = `Receiver answered HTTP ${res.status}`;
      } catch (err) {
        error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }

      await em.nativeUpdate(
        WebhookDeliverySchema,
        { id: delivery.id },
        { attempts: raw('attempts + 1'), lastStatusCode: statusCode, lastError: error?.slice(0, MAX_ERROR_LENGTH) ?? null },
      );
      if (error === null) return { statusCode: statusCode! };
      if (statusCode !== null && isPermanentRefusal(statusCode)) throw ApplicationFailure.nonRetryable(error, 'WebhookRejected');
      throw ApplicationFailure.retryable(error, 'WebhookAttemptFailed');
    },

    /** The delivery's final state, once the workflow knows it. */
    async markWebhookDelivery(input: WebhookDeliveryRef & { outcome: WebhookDeliveryOutcome }): Promise<void> {
      const em = scopedEm(input.tenantId);
      const { outcome } = input;
      await em.nativeUpdate(
        WebhookDeliverySchema,
        { id: input.deliveryId },
        outcome.status === 'delivered'
          ? { status: 'delivered', deliveredAt: new Date(), lastError: null }
          : { status: 'failed', ...(outcome.error ? { lastError: outcome.error.slice(0, MAX_ERROR_LENGTH) } : {}) },
      );
    },
  };
}
