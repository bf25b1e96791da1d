import { Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { RescoreOutcome } from '../contracts';
import { CustomerSchema, LeadActivitySchema } from '../db/entities';
import { TENANT_FILTER } from '../db/orm';
import { recordLeadChange, rescoreLead, setStage } from './service';

/** A key for this activity attempt's effects, the same across its retries. */
function effectKey(): string {
  const { workflowExecution: run, activityId } = Context.current().info;
  return `${run?.workflowId}:${run?.runId}:${activityId}`;
}

/** Whether this activity already wrote its lead activity in an earlier attempt. */
async function alreadyDone(em: ReturnType<MikroORM['em']['fork']>, leadId: string, key: string): Promise<boolean> {
  return (await em.count(LeadActivitySchema, { customerId: leadId, data: { idempotency_key: key } })) > 0;
}

/** The leadQualification workflow's side effects, scoped to the lead's tenant. */
export function leadActivities(orm: MikroORM) {
  const scoped = (tenantId: string) => {
    const em = orm.em.fork();
    em.setFilterParams(TENANT_FILTER, { tenantId });
    return em;
  };

  return {
    async rescoreLeadActivity(input: { tenantId: string; leadId: string; reasons: string[] }): Promise<RescoreOutcome> {
      const em = scoped(input.tenantId);
      const key = effectKey();
      return em.transactional(async (tx) => {
        const lead = await tx.findOne(CustomerSchema, { id: input.leadId });
        if (!lead) return { exists: false };
        const before = { score: lead.leadScore, stage: lead.pipelineStage, status: lead.status };
        const result = await rescoreLead(tx, lead);
        const changed = before.score !== result.score || before.stage !== lead.pipelineStage || before.status !== lead.status;
        if (changed && !(await alreadyDone(tx, lead.id, key))) {
          await recordLeadChange(tx, lead, {
            type: 'rescored',
            description: `Score ${before.score} → ${result.score}`,
            event: result.stageChanged ? 'lead.stage_changed' : 'lead.updated',
            data: { score: result.score, pipeline_stage: lead.pipelineStage, reasons: input.reasons, idempotency_key: key },
          });
        }
        await tx.flush();
        return { exists: true, score: result, stage: lead.pipelineStage };
      });
    },

    async handleStaleLead(input: { tenantId: string; leadId: string; step: 'follow_up' | 'mark_lost' }): Promise<RescoreOutcome> {
      const em = scoped(input.tenantId);
      const key = effectKey();
      return em.transactional(async (tx) => {
        const lead = await tx.findOne(CustomerSchema, { id: input.leadId });
        if (!lead) return { exists: false };
        if (lead.pipelineStage === 'ganado' || lead.pipelineStage === 'perdido' || (await alreadyDone(tx, lead.id, key))) return { exists: true, stage: lead.pipelineStage };
        if (input.step === 'follow_up') {
          lead.followUpStatus = 'pending';
          await recordLeadChange(tx, lead, { type: 'follow_up_scheduled', description: 'No activity for a while: follow-up scheduled', data: { idempotency_key: key } });
        } else {
          const from = lead.pipelineStage;
          setStage(lead, 'perdido');
          await recordLeadChange(tx, lead, { type: 'stage_changed', description: `Stage ${from} → perdido (no activity)`, event: 'lead.stage_changed', data: { from, to: 'perdido', manual: false, idempotency_key: key } });
        }
        return { exists: true, stage: lead.pipelineStage };
      });
    },
  };
}
