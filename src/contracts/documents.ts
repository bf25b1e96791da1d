/**
 * Document ingestion and search synchronisation: names and shapes the API, the workflows and the
 * activities share.
 */
export const DOCUMENT_TYPES = ['csv', 'json', 'txt', 'pdf', 'docx'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export const DOCUMENT_STATUSES = ['queued', 'processing', 'completed', 'failed'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export const PROPERTY_STATUSES = ['available', 'under_offer', 'sold', 'rented', 'off_market'] as const;
export type PropertyStatus = (typeof PROPERTY_STATUSES)[number];

export const LISTING_TYPES = ['sale', 'rent'] as const;
export type ListingType = (typeof LISTING_TYPES)[number];

/**
 * Character limits of the properties table's varchar columns. The entity declares its columns
 * with them and listings are checked against them, so a value too long is a row error rather than
 * a batch Postgres refuses.
 */
export const PROPERTY_TEXT_LIMITS = {
  externalId: 300,
  title: 300,
  address: 300,
  floor: 50,
  suite: 50,
  city: 120,
  neighborhood: 120,
  propertyType: 60,
  brokerEmail: 320,
} as const;

/** A rejected row of a structured file, as the upload response reports it. */
export interface RowError {
  /** 1-based line (CSV, counting the header) or array position + 1 (JSON). */
  row: number;
  field?: string;
  message: string;
}

/** What a document ingestion indexes: an uploaded file, a knowledge-base entry or one listing. */
export type IngestionTarget =
  | { kind: 'document'; documentId: string }
  | { kind: 'kb'; entryId: string }
  | { kind: 'property'; propertyId: string };

export interface DocumentIngestionInput {
  tenantId: string;
  target: IngestionTarget;
}

export interface DocumentIngestionResult {
  /** `listings`: rows became properties; `text`: knowledge chunks; `removed`: the source is gone. */
  kind: 'listings' | 'text' | 'removed';
  recordsInserted: number;
  rejectedRecords: number;
  chunks: number;
  indexed: number;
}

/** Outcome of the parse-and-store step. */
export interface StoredDocument {
  kind: 'listings' | 'text';
  totalRows: number;
  recordsInserted: number;
  rejectedRecords: number;
  chunks: number;
}

export interface IndexBatchProgress {
  /** Keyset cursor: the last id indexed. */
  after: string | null;
  indexed: number;
}

export interface SearchSyncInput {
  tenantId: string;
  /** Why it runs, for the operator reading the Temporal UI. */
  reason: 'manual' | 'embedder_changed' | 'mapping_changed';
}

export interface SearchSyncResult {
  properties: number;
  chunks: number;
  indices: Record<string, string>;
  tookMs: number;
}

export const ingestionWorkflowId = (tenantId: string, target: IngestionTarget) =>
  `ingest:${tenantId}:${target.kind === 'document' ? target.documentId : target.kind === 'kb' ? `kb-${target.entryId}` : `property-${target.propertyId}`}`;
export const searchSyncWorkflowId = (tenantId: string) => `sync:${tenantId}`;
