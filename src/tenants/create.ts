import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { TenantConfigSchema, TenantConfigVersionSchema, TenantSchema, type Tenant } from '../db/entities';
import { defaultTenantConfig } from './defaults';

/** The part of a configuration that is versioned. */
export function configSnapshot(config: { assistantName: string; persona: string; tone: string; promptSections: unknown; leadScoringWeights: unknown; slaPolicies: unknown }) {
  const { assistantName, persona, tone, promptSections, leadScoringWeights, slaPolicies } = config;
  return { assistantName, persona, tone, promptSections, leadScoringWeights, slaPolicies } as Record<string, unknown>;
}

/**
 * A new tenant with its default configuration as version 1. Ids are set here rather than at
 * flush because the caller's other rows refer to them; the caller flushes (in its transaction).
 */
export function createTenant(em: EntityManager, name: string, createdBy: string | null): Tenant {
  const tenant = em.create(TenantSchema, { id: randomUUID(), name });
  const config = em.create(TenantConfigSchema, { tenantId: tenant.id, version: 1, updatedBy: createdBy, ...defaultTenantConfig(name) });
  em.create(TenantConfigVersionSchema, { tenantId: tenant.id, version: 1, createdBy, snapshot: configSnapshot(config) });
  return tenant;
}
