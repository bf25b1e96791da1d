import type { ApiKey, AuditLog, Tenant, TenantConfig, User, WebhookDelivery, WebhookSubscription } from '../../db/entities';

/** Response shapes, snake_case as the seeds document them. */
export const presentUser = (u: User) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  broker_id: u.tenantId ?? null,
  is_active: u.isActive,
  created_at: u.createdAt,
});

export const presentTenant = (t: Tenant) => ({ id: t.id, name: t.name, is_active: t.isActive, created_at: t.createdAt, updated_at: t.updatedAt });

/** The configurable fields under the API's names: the configuration and each stored version of it. */
export const presentConfigFields = (c: Pick<TenantConfig, 'assistantName' | 'persona' | 'tone' | 'promptSections' | 'leadScoringWeights' | 'slaPolicies'>) => ({
  assistant_name: c.assistantName,
  persona: c.persona,
  tone: c.tone,
  prompt_sections: c.promptSections,
  lead_scoring_weights: c.leadScoringWeights,
  sla_policies: c.slaPolicies,
});

export const presentConfig = (c: TenantConfig) => ({
  broker_id: c.tenantId,
  version: c.version,
  ...presentConfigFields(c),
  updated_by: c.updatedBy ?? null,
  updated_at: c.updatedAt,
});

export const presentApiKey = (k: ApiKey) => ({
  id: k.id,
  broker_id: k.tenantId,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  rate_limit_per_minute: k.rateLimitPerMinute ?? null,
  created_at: k.createdAt,
  last_used_at: k.lastUsedAt ?? null,
  revoked_at: k.revokedAt ?? null,
});

export const presentAudit = (a: AuditLog) => ({
  id: a.id,
  broker_id: a.tenantId ?? null,
  actor_type: a.actorType,
  actor_id: a.actorId ?? null,
  action: a.action,
  resource: a.resource,
  resource_id: a.resourceId ?? null,
  method: a.method,
  path: a.path,
  status: a.status,
  outcome: a.outcome,
  request_id: a.requestId,
  ip: a.ip ?? null,
  created_at: a.createdAt,
});

/** Never the secret: it is shown once, in the create response. */
export const presentWebhook = (w: WebhookSubscription) => ({
  id: w.id,
  broker_id: w.tenantId,
  url: w.url,
  events: w.events,
  is_active: w.isActive,
  created_by: w.createdBy ?? null,
  created_at: w.createdAt,
});

export const presentWebhookDelivery = (d: WebhookDelivery) => ({
  id: d.id,
  subscription_id: d.subscriptionId,
  event: d.event,
  payload: d.payload,
  status: d.status,
  attempts: d.attempts,
  last_status_code: d.lastStatusCode ?? null,
  last_error: d.lastError ?? null,
  created_at: d.createdAt,
  delivered_at: d.deliveredAt ?? null,
});
