import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { LEAD_STATUSES, PIPELINE_STAGES, QUALIFICATIONS } from '../../contracts/leads';

/**
 * The one customer record: a lead to sales (seeds 001, 003), a client to agents (002), a user of
 * the chat (000) and a ticket requester (004) are the same person to a CRM.
 */
export const CustomerSchema = defineEntity({
  name: 'Customer',
  tableName: 'customers',
  // Postgres treats NULLs as distinct, so customers without a phone or email do not collide.
  uniques: [
    { name: 'customers_tenant_phone_unique', properties: ['tenantId', 'phone'] },
    { name: 'customers_tenant_email_unique', properties: ['tenantId', 'email'] },
    // Seed 000 knows its users by a user id of its own, kept in preferences.
    { name: 'customers_tenant_user_id_unique', expression: `create unique index "customers_tenant_user_id_unique" on "customers" ("tenant_id", ("preferences"->>'user_id')) where "preferences" ? 'user_id'` },
  ],
  indexes: [
    { name: 'customers_tenant_stage_index', properties: ['tenantId', 'pipelineStage'] },
    { name: 'customers_tenant_created_index', properties: ['tenantId', 'createdAt'] },
  ],
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenantId: p.uuid(),
    name: p.string().length(200).nullable(),
    /** E.164, so the same number written two ways is one customer. */
    phone: p.string().length(20).nullable(),
    /** Lower-cased. */
    email: p.string().length(320).nullable(),
    tags: p.json<string[]>(),
    status: p.enum([...LEAD_STATUSES]).default('cold'),
    leadScore: p.double().default(0),
    qualification: p.enum([...QUALIFICATIONS]).default('no_calificado'),
    pipelineStage: p.enum([...PIPELINE_STAGES]).default('entrada'),
    /** Set when a person moves the stage; automatic advances then leave it alone. */
    stageSetManuallyAt: p.datetime().nullable(),
    stageChangedAt: p.datetime().onCreate(() => new Date()),
    assignedAgentId: p.uuid().nullable().index(),
    source: p.string().length(50).default('manual'),
    location: p.string().length(200).nullable(),
    budget: p.string().length(100).nullable(),
    propertyType: p.string().length(100).nullable(),
    timeline: p.string().length(100).nullable(),
    projectType: p.string().length(100).nullable(),
    requirementsSummary: p.text().nullable(),
    followUpStatus: p.string().length(30).default('pending'),
    preferences: p.json<Record<string, unknown>>(),
    notes: p.text().nullable(),
    lastActivityAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
});
export type Customer = InferEntity<typeof CustomerSchema>;

/** What happened to a lead, newest first in its detail view. */
export const LeadActivitySchema = defineEntity({
  name: 'LeadActivity',
  tableName: 'lead_activities',
  indexes: [{ name: 'lead_activities_customer_id_index', properties: ['customerId', 'id'] }],
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    tenantId: p.uuid(),
    customerId: p.uuid(),
    type: p.string().length(50),
    description: p.text(),
    data: p.json<Record<string, unknown>>(),
    actorId: p.string().length(64).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  }),
});
export type LeadActivity = InferEntity<typeof LeadActivitySchema>;
