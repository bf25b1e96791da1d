import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { RescoreOutcome, WebhookEvent } from '../contracts';
import { CustomerSchema, LeadActivitySchema, WebhookSubscriptionSchema } from '../db/entities';
import { presentLead } from './present';
import { tenantEm } from '../db/orm';
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
  const scoped = (tenantId: string) => tenantEm(orm, tenantId);

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
        return { exists: true, score: result, stage: lead.pipelineStage, stageChanged: result.stageChanged };
      });
    },

    async handleStaleLead(input: { tenantId: string; leadId: string; step: 'follow_up' | 'mark_lost' }): Promise<RescoreOutcome> {
      const em = scoped(input.tenantId);
      const key = effectKey();
      return em.transactional(async (tx) => {
        const lead = await tx.findOne(CustomerSchema, { id: input.leadId });
        if (!lead) return { exists: false };
        if (lead.pipelineStage === 'ganado' || lead.pipelineStage === 'perdido') return { exists: true, stage: lead.pipelineStage };
        // A retried attempt already wrote its change; report it the same way.
        if (await alreadyDone(tx, lead.id, key)) return { exists: true, stage: lead.pipelineStage, stageChanged: true };
        if (input.step === 'follow_up') {
          lead.followUpStatus = 'pending';
          await recordLeadChange(tx, lead, { type: 'follow_up_scheduled', description: 'No activity for a while: follow-up scheduled', data: { idempotency_key: key } });
        } else {
          const from = lead.pipelineStage;
          setStage(lead, 'perdido');
          await recordLeadChange(tx, lead, { type: 'stage_changed', description: `Stage ${from} → perdido (no activity)`, event: 'lead.stage_changed', data: { from, to: 'perdido', manual: false, idempotency_key: key } });
        }
        return { exists: true, stage: lead.pipelineStage, stageChanged: true };
      });
    },

    /**
     * One pending delivery per active subscription wanting `event`, with the lead as payload.
     * Ids derive from this activity's identity, so a retried attempt writes no second row.
     */
    async prepareLeadWebhooks(input: { tenantId: string; leadId: string; event: WebhookEvent }): Promise<string[]> {
      const em = scoped(input.tenantId);
      const key = effectKey();
      const lead = await em.findOne(CustomerSchema, { id: input.leadId });
      if (!lead) return [];
      const subscriptions = (await em.find(WebhookSubscriptionSchema, { isActive: true })).filter((s) => s.events.includes(input.event));
      const ids: string[] = [];
      for (const subscription of subscriptions) {
        const id = uuidFrom(`${key}:${subscription.id}`);
        await em.execute(
          `insert into webhook_deliveries (id, tenant_id, subscription_id, event, payload, status, attempts, created_at)
           values (?, ?, ?, ?, ?::jsonb, 'pending', 0, now()) on conflict (id) do nothing`,
          [id, input.tenantId, subscription.id, input.event, JSON.stringify({ lead: presentLead(lead) })],
        );
        ids.push(id);
      }
      return ids;
    },
  };
}

/** A UUID-shaped id derived from a name, the same for the same name. */
function uuidFrom(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
