import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** A customer organisation of the product (seed 001's "broker"). Every other row belongs to one. */
export const TenantSchema = defineEntity({
  name: 'Tenant',
  tableName: 'tenants',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    name: p.string().length(200),
    isActive: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
});
export type Tenant = InferEntity<typeof TenantSchema>;

export interface PromptSections {
  identity: string;
  goals: string;
  style: string;
  rules: string;
}
export type LeadScoringWeights = Record<string, number>;
export interface SlaPolicy {
  priority: 'low' | 'medium' | 'high' | 'urgent';
  firstResponseMinutes: number;
  resolutionMinutes: number;
}

/** The assistant's identity, prompt, scoring and SLA settings; each change is a new version. */
export const TenantConfigSchema = defineEntity({
  name: 'TenantConfig',
  tableName: 'tenant_configs',
  properties: (p) => ({
    tenantId: p.uuid().primary(),
    version: p.integer().default(1),
    assistantName: p.string().length(100),
    persona: p.text(),
    tone: p.string().length(100),
    promptSections: p.json<PromptSections>(),
    leadScoringWeights: p.json<LeadScoringWeights>(),
    slaPolicies: p.json<SlaPolicy[]>(),
    updatedBy: p.uuid().nullable(),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
});
export type TenantConfig = InferEntity<typeof TenantConfigSchema>;

/** Every configuration version ever saved, so a prompt change can be read back or compared. */
export const TenantConfigVersionSchema = defineEntity({
  name: 'TenantConfigVersion',
  tableName: 'tenant_config_versions',
  uniques: [{ properties: ['tenantId', 'version'] }],
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenantId: p.uuid(),
    version: p.integer(),
    snapshot: p.json<Record<string, unknown>>(),
    createdBy: p.uuid().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  }),
});
export type TenantConfigVersion = InferEntity<typeof TenantConfigVersionSchema>;
