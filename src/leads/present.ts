import type { Customer } from '../db/entities';

/** A customer as the API and webhook payloads show it (seed 001's lead shape, snake_case). */
export const presentLead = (l: Customer) => ({
  id: l.id,
  name: l.name ?? null,
  phone: l.phone ?? null,
  email: l.email ?? null,
  tags: l.tags,
  status: l.status,
  lead_score: l.leadScore,
  qualification: l.qualification,
  pipeline_stage: l.pipelineStage,
  assigned_agent_id: l.assignedAgentId ?? null,
  source: l.source,
  location: l.location ?? null,
  budget: l.budget ?? null,
  property_type: l.propertyType ?? null,
  timeline: l.timeline ?? null,
  project_type: l.projectType ?? null,
  requirements_summary: l.requirementsSummary ?? null,
  follow_up_status: l.followUpStatus,
  notes: l.notes ?? null,
  last_activity_at: l.lastActivityAt ?? null,
  created_at: l.createdAt,
  updated_at: l.updatedAt,
});
