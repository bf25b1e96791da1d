import type { EntityManager } from '@mikro-orm/postgresql';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { advanceStage, scoreLead, topics, type LeadScore, type PipelineStage } from '../contracts';
import { LeadActivitySchema, TenantConfigSchema, type Customer } from '../db/entities';
import { publishEvent } from '../events/bus';

/** E.164 for a valid number, null for anything else. */
export function normalizePhone(raw: string, region: string): string | null {
  const parsed = parsePhoneNumberFromString(raw.trim(), region as CountryCode);
  return parsed?.isValid() ? parsed.number : null;
}

export const normalizeEmail = (raw: string) => raw.trim().toLowerCase();

/** Appends to the lead's activity log and tells live listeners, in the caller's transaction. */
export async function recordLeadChange(
  em: EntityManager,
  lead: Customer,
  change: { type: string; description: string; data?: Record<string, unknown>; actorId?: string | null; event?: 'lead.created' | 'lead.updated' | 'lead.stage_changed' | 'lead.deleted' },
): Promise<void> {
  em.create(LeadActivitySchema, { tenantId: lead.tenantId, customerId: lead.id, type: change.type, description: change.description, data: change.data ?? {}, actorId: change.actorId ?? null });
  lead.lastActivityAt = new Date();
  await em.flush();
  await publishEvent(em, {
    topic: topics.tenant(lead.tenantId),
    tenantId: lead.tenantId,
    type: change.event ?? 'lead.updated',
    payload: { lead_id: lead.id, change: change.type, ...change.data },
  });
}

/**
 * Recomputes score, temperature, qualification and (unless a person set it) the stage from the
 * tenant's weights. Converted and lost leads keep their status.
 */
export async function rescoreLead(em: EntityManager, lead: Customer): Promise<LeadScore & { stageChanged: boolean }> {
  const config = await em.findOneOrFail(TenantConfigSchema, { tenantId: lead.tenantId });
  const activityCount = await em.count(LeadActivitySchema, { customerId: lead.id, type: { $in: ['message_in', 'message_out', 'call', 'note'] } });
  const facts = { ...lead, activityCount };
  const result = scoreLead(facts, config.leadScoringWeights);
  lead.leadScore = result.score;
  lead.qualification = result.qualification;
  if (lead.status !== 'converted' && lead.status !== 'lost') lead.status = result.temperature;
  const before = lead.pipelineStage;
  if (!lead.stageSetManuallyAt) setStage(lead, advanceStage(lead.pipelineStage, facts));
  const stageChanged = before !== lead.pipelineStage;
  // Stage moves are activities too: the pipeline metrics are computed from them.
  if (stageChanged) {
    em.create(LeadActivitySchema, { tenantId: lead.tenantId, customerId: lead.id, type: 'stage_changed', description: `Stage ${before} → ${lead.pipelineStage} (automatic)`, data: { from: before, to: lead.pipelineStage, manual: false }, actorId: null });
  }
  return { ...result, stageChanged };
}

/** Moves the stage; won and lost also settle the status. */
export function setStage(lead: Customer, stage: PipelineStage): void {
  if (lead.pipelineStage === stage) return;
  lead.pipelineStage = stage;
  lead.stageChangedAt = new Date();
  if (stage === 'ganado') lead.status = 'converted';
  if (stage === 'perdido') lead.status = 'lost';
}
