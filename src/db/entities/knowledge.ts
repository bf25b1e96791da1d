import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { DOCUMENT_STATUSES, DOCUMENT_TYPES, LISTING_TYPES, PROPERTY_STATUSES, PROPERTY_TEXT_LIMITS as LIMITS, type RowError } from '../../contracts/documents';

/** An uploaded file and how its ingestion went; the bytes live in `document_contents`. */
export const DocumentSchema = defineEntity({
  name: 'Document',
  tableName: 'documents',
  indexes: [{ name: 'documents_tenant_created_index', properties: ['tenantId', 'createdAt'] }],
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenantId: p.uuid(),
    filename: p.string().length(255),
    type: p.enum([...DOCUMENT_TYPES]),
    sizeBytes: p.integer(),
    sha256: p.string().length(64),
    status: p.enum([...DOCUMENT_STATUSES]).default('queued'),
    workflowId: p.string().length(200),
    /** `listings` or `text`, known once parsed. */
    kind: p.string().length(20).nullable(),
    totalRows: p.integer().default(0),
    processedRows: p.integer().default(0),
    recordsInserted: p.integer().default(0),
    rejectedRecords: p.integer().default(0),
    chunks: p.integer().default(0),
    indexed: p.integer().default(0),
    /** Row errors, the first 1,000 (the count is `rejectedRecords`). */
    errors: p.json<RowError[]>(),
    failure: p.text().nullable(),
    uploadedBy: p.string().length(64).nullable(),
    processingMs: p.integer().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    completedAt: p.datetime().nullable(),
  }),
});
export type Document = InferEntity<typeof DocumentSchema>;

/** The uploaded bytes, apart from the metadata so listing documents never loads them. */
export const DocumentContentSchema = defineEntity({
  name: 'DocumentContent',
  tableName: 'document_contents',
  properties: (p) => ({
    documentId: p.uuid().primary(),
    tenantId: p.uuid(),
    content: p.blob().lazy(),
  }),
});
export type DocumentContent = InferEntity<typeof DocumentContentSchema>;

/** A listing; `externalId` is the natural key re-uploads upsert on. */
export const PropertySchema = defineEntity({
  name: 'Property',
  tableName: 'properties',
  uniques: [{ name: 'properties_tenant_external_unique', properties: ['tenantId', 'externalId'] }],
  indexes: [
    { name: 'properties_tenant_document_index', properties: ['tenantId', 'documentId'] },
    { name: 'properties_tenant_created_index', properties: ['tenantId', 'createdAt'] },
  ],
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenantId: p.uuid(),
    externalId: p.string().length(LIMITS.externalId),
    /** The upload that last wrote it, if any. */
    documentId: p.uuid().nullable(),
    title: p.string().length(LIMITS.title),
    address: p.string().length(LIMITS.address).nullable(),
    floor: p.string().length(LIMITS.floor).nullable(),
    suite: p.string().length(LIMITS.suite).nullable(),
    city: p.string().length(LIMITS.city).nullable(),
    neighborhood: p.string().length(LIMITS.neighborhood).nullable(),
    propertyType: p.string().length(LIMITS.propertyType).nullable(),
    listingType: p.enum([...LISTING_TYPES]).nullable(),
    status: p.enum([...PROPERTY_STATUSES]).default('available'),
    sizeSf: p.float().columnType('double precision').nullable(),
    rentPerSfYear: p.float().columnType('double precision').nullable(),
    annualRent: p.float().columnType('double precision').nullable(),
    monthlyRent: p.float().columnType('double precision').nullable(),
    price: p.float().columnType('double precision').nullable(),
    bedrooms: p.integer().nullable(),
    bathrooms: p.float().columnType('double precision').nullable(),
    brokerEmail: p.string().length(LIMITS.brokerEmail).nullable(),
    gciOn3Years: p.float().columnType('double precision').nullable().fieldName('gci_on_3_years'),
    description: p.text().nullable(),
    extra: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
});
export type Property = InferEntity<typeof PropertySchema>;

/** A curated knowledge article (seed 001's KB, seed 002's admin knowledge). */
export const KnowledgeEntrySchema = defineEntity({
  name: 'KnowledgeEntry',
  tableName: 'knowledge_entries',
  indexes: [{ name: 'knowledge_entries_tenant_created_index', properties: ['tenantId', 'createdAt'] }],
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenantId: p.uuid(),
    title: p.string().length(300),
    content: p.text(),
    category: p.string().length(100).nullable(),
    tags: p.json<string[]>(),
    isActive: p.boolean().default(true),
    createdBy: p.string().length(64).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
});
export type KnowledgeEntry = InferEntity<typeof KnowledgeEntrySchema>;

/**
 * A passage of a text document or knowledge entry: what retrieval returns and what the index is
 * rebuilt from. The id is `<sourceId>:<ordinal>`, so re-ingesting replaces rather than adds.
 */
export const KnowledgeChunkSchema = defineEntity({
  name: 'KnowledgeChunk',
  tableName: 'knowledge_chunks',
  indexes: [{ name: 'knowledge_chunks_tenant_source_index', properties: ['tenantId', 'sourceId'] }],
  properties: (p) => ({
    id: p.string().length(80).primary(),
    tenantId: p.uuid(),
    source: p.enum(['document', 'kb']),
    sourceId: p.uuid(),
    ordinal: p.integer(),
    title: p.string().length(300).nullable(),
    text: p.text(),
    /** When this text was last written: a rebuild re-indexes passages written while it copied. */
    createdAt: p.datetime().onCreate(() => new Date()),
  }),
});
export type KnowledgeChunk = InferEntity<typeof KnowledgeChunkSchema>;
