import { leadChangedSignal, leadWorkflowId, type LeadChangeKind } from '../contracts';
import type { AppDeps } from '../http/deps';

/**
 * Tells the lead's leadQualification workflow of a change, starting it if needed. Called after
 * the change is committed; if Temporal is unreachable the change stands and the next one, or the
 * pipeline's auto-advance, starts the workflow.
 */
export async function notifyLeadWorkflow(deps: Pick<AppDeps, 'temporal' | 'config' | 'logger'>, tenantId: string, leadId: string, kind: LeadChangeKind, actorId?: string | null): Promise<void> {
  try {
    await deps.temporal.client.workflow.signalWithStart('leadQualification', {
      taskQueue: deps.temporal.taskQueue,
      workflowId: leadWorkflowId(tenantId, leadId),
      args: [{ tenantId, leadId, staleAfterMs: deps.config.LEAD_STALE_AFTER_MS }],
      signal: leadChangedSignal,
      signalArgs: [{ kind, actorId: actorId ?? null }],
      searchAttributes: { CrmTenantId: [tenantId], CrmLeadId: [leadId] },
    });
  } catch (err) {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err), leadId }, 'could not signal the lead workflow');
  }
}
