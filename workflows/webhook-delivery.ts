import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DEFAULT_WEBHOOK_RETRY, type WebhookDeliveryInput, type WebhookDeliveryOutcome } from '../src/contracts/webhooks';

const { markWebhookDelivery } = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20 },
});

/**
 * Sends one webhook delivery with exponential backoff, then records whether it was accepted.
 * A receiver refusing it (4xx other than 408/429) or running out of attempts ends as `failed`,
 * not as a failed workflow: the outcome is the delivery log's business, not an operator's alarm.
 */
export async function webhookDelivery(input: WebhookDeliveryInput): Promise<WebhookDeliveryOutcome> {
  const retry = { ...DEFAULT_WEBHOOK_RETRY, ...input.retry };
  const { deliverWebhook } = proxyActivities<Activities>({
    // Longer than the request's own 10 s timeout, so the activity always records its attempt.
    startToCloseTimeout: '30s',
    retry: {
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: retry.backoffCoefficient,
      // Temporal refuses a cap below the first interval, which would fail every workflow task.
      maximumInterval: Math.max(retry.maximumIntervalMs, retry.initialIntervalMs),
      maximumAttempts: retry.maximumAttempts,
    },
  });
  const ref = { tenantId: input.tenantId, deliveryId: input.deliveryId };

  let outcome: WebhookDeliveryOutcome;
  try {
    const { statusCode } = await deliverWebhook(ref);
    outcome = { status: 'delivered', statusCode };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    outcome = { status: 'failed', error: err.cause?.message ?? err.message };
  }
  await markWebhookDelivery({ ...ref, outcome });
  return outcome;
}
