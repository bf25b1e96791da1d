import { leadChangedSignal, leadWorkflowId, type LeadChangeKind, type WebhookEvent } from '../contracts';
import type { AppDeps } from '../http/deps';

/**
 * Tells the lead's leadQualification workflow of a change (which sends the webhooks the change
 * is), starting it if needed. Called after
 * the change is committed; if Temporal is unreachable the change stands and the next one, or the
 * pipeline's auto-advance, starts the workflow.
 */
export async function notifyLeadWorkflow(
  deps: Pick<AppDeps, 'temporal' | 'config' | 'logger'>,
  tenantId: string,
  leadId: string,
  change: { kind: LeadChangeKind; actorId?: string | null; event?: WebhookEvent },
): Promise<void> {
  try {
    await deps.temporal.client.workflow.signalWithStart('leadQualification', {
      taskQueue: deps.temporal.taskQueue,
      workflowId: leadWorkflowId(tenantId, leadId),
      args: [{ tenantId, leadId, staleAfterMs: deps.config.LEAD_STALE_AFTER_MS }],
      signal: leadChangedSignal,
      signalArgs: [{ kind: change.kind, actorId: change.actorId ?? null, ...(change.event ? { event: change.event } : {}) }],
      searchAttributes: { CrmTenantId: [tenantId], CrmLeadId: [leadId] },
    });
  } catch (err) {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err), leadId }, 'could not signal the lead workflow');
  }
}
