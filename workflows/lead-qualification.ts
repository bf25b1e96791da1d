import { condition, continueAsNew, ParentClosePolicy, proxyActivities, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { leadChangedSignal, leadStateQuery, webhookDeliveryWorkflowId, type LeadChange, type LeadQualificationInput, type LeadQualificationState, type WebhookEvent } from '../src/contracts';
import type { webhookDelivery } from './webhook-delivery';

const { rescoreLeadActivity, handleStaleLead, prepareLeadWebhooks } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * One per lead, for its life: rescoring on every change it is told of, and timers that notice a
 * lead going quiet: first a follow-up is scheduled, then the lead is marked lost. Any change
 * resets the clock. Ends when the lead is deleted, or after it has been lost and quiet.
 */
export async function leadQualification(input: LeadQualificationInput, carried?: LeadQualificationState): Promise<LeadQualificationState> {
  const state: LeadQualificationState = carried ?? { score: null, stage: null, followUpsScheduled: 0, lost: false, changesSeen: 0 };
  const pending: LeadChange[] = [];
  setHandler(leadChangedSignal, (change) => {
    pending.push(change);
  });
  setHandler(leadStateQuery, () => state);

  let quietPeriods = 0;
  for (;;) {
    const changed = await condition(() => pending.length > 0, input.staleAfterMs);
    if (changed) {
      const batch = pending.splice(0);
      quietPeriods = 0;
      const outcome = await rescoreLeadActivity({ tenantId: input.tenantId, leadId: input.leadId, reasons: batch.map((c) => c.kind) });
      state.changesSeen += batch.length;
      if (!outcome.exists) return state;
      state.score = outcome.score ?? null;
      state.stage = outcome.stage ?? null;
      state.lost = outcome.stage === 'perdido';
      const events = new Set(batch.flatMap((c) => (c.event ? [c.event] : [])));
      if (outcome.stageChanged) events.add('lead.stage_changed');
      for (const event of events) await notifySubscribers(input, event);
    } else {
      quietPeriods += 1;
      // Won or lost and quiet: nothing left to chase.
      if (state.lost || state.stage === 'ganado') return state;
      const step = quietPeriods === 1 ? 'follow_up' : 'mark_lost';
      const outcome = await handleStaleLead({ tenantId: input.tenantId, leadId: input.leadId, step });
      if (!outcome.exists) return state;
      if (step === 'follow_up') state.followUpsScheduled += 1;
      state.stage = outcome.stage ?? state.stage;
      state.lost = outcome.stage === 'perdido';
      if (outcome.stageChanged) await notifySubscribers(input, step === 'follow_up' ? 'lead.updated' : 'lead.stage_changed');
    }
    if (workflowInfo().continueAsNewSuggested && pending.length === 0) {
      await continueAsNew<typeof leadQualification>(input, state);
    }
  }
}

/**
 * Records one delivery per interested subscription and starts its delivery workflow as a child
 * that outlives this run: deliveries are durable and each is sent once.
 */
async function notifySubscribers(input: LeadQualificationInput, event: WebhookEvent): Promise<void> {
  const deliveryIds = await prepareLeadWebhooks({ tenantId: input.tenantId, leadId: input.leadId, event });
  for (const deliveryId of deliveryIds) {
    await startChild<typeof webhookDelivery>('webhookDelivery', {
      workflowId: webhookDeliveryWorkflowId(input.tenantId, deliveryId),
      args: [{ tenantId: input.tenantId, deliveryId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  }
}
