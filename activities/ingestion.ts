import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { DocumentIngestionInput, IndexBatchProgress, RowError, StoredDocument } from '../src/contracts/documents';
import { topics } from '../src/contracts/events';
import { DocumentSchema, KnowledgeChunkSchema, KnowledgeEntrySchema, PropertySchema } from '../src/db/entities';
import { tenantEm } from '../src/db/orm';
import { chunkText, DocumentError, parseDocument, type ListingRecord } from '../src/documents';
import type { Embedder } from '../src/embeddings/types';
import { publishEvent } from '../src/events/bus';
import { loadDocumentBytes } from '../src/knowledge/content';
import { deleteFromIndex, indexChunks, indexInBatches, indexLockKey, indexProperties, nextChunks, nextProperties } from '../src/knowledge/indexing';
import type { SearchClient } from '../src/search/client';
import { ensureAlias } from '../src/search/indices';

export interface IngestionDeps {
  orm: MikroORM;
  es: SearchClient;
  embedder: Embedder;
  indexPrefix: string;
  batchSize: number;
}

/** Row errors kept on the document; the count is always exact. */
const MAX_STORED_ERRORS = 1000;
/** Progress events at most this often, so a 100,000-row file does not flood listeners. */
const PROGRESS_EVERY_MS = 1000;

const PROPERTY_COLUMNS = [
  'id', 'tenant_id', 'external_id', 'document_id', 'title', 'address', 'floor', 'suite', 'city', 'neighborhood', 'property_type', 'listing_type', 'status',
  'size_sf', 'rent_per_sf_year', 'annual_rent', 'monthly_rent', 'price', 'bedrooms', 'bathrooms', 'broker_email', 'gci_on_3_years',
  'description', 'extra', 'created_at', 'updated_at',
] as const;

/** One multi-row upsert on the natural key: a resumed or repeated batch updates, never duplicates. */
function upsertPropertiesSql(rows: number): string {
  const width = PROPERTY_COLUMNS.length;
  const values = Array.from({ length: rows }, () => `(${PROPERTY_COLUMNS.map((_, c) => `?${c === width - 3 ? '::jsonb' : ''}`).join(', ')})`).join(', ');
  const updates = PROPERTY_COLUMNS.filter((c) => !['id', 'tenant_id', 'external_id', 'created_at'].includes(c))
    .map((c) => `"${c}" = excluded."${c}"`)
    .join(', ');
  // Only the cast on `extra` is needed; the positional `?` are knex placeholders.
  return `insert into "properties" (${PROPERTY_COLUMNS.map((c) => `"${c}"`).join(', ')}) values ${values}
    on conflict ("tenant_id", "external_id") do update set ${updates}`;
}

function propertyParams(tenantId: string, documentId: string, r: ListingRecord, now: Date): unknown[] {
  return [
    deterministicId(tenantId, r.externalId), tenantId, r.externalId, documentId, r.title, r.address, r.floor, r.suite, r.city, r.neighborhood, r.propertyType,
    r.listingType, r.status, r.sizeSf, r.rentPerSfYear, r.annualRent, r.monthlyRent, r.price, r.bedrooms, r.bathrooms, r.brokerEmail, r.gciOn3Years,
    r.description, JSON.stringify(r.extra ?? {}), now, now,
  ];
}

/** The id a listing gets on first insert, derived from its natural key (stable across retries). */
function deterministicId(tenantId: string, externalId: string): string {
  const h = createHash('sha256').update(`${tenantId}\0${externalId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface StoreProgress {
  /** Index into the parsed rows of the next batch to write. */
  next: number;
  /** Rows Postgres refused so far (the first MAX_STORED_ERRORS), and how many. */
  refused?: RowError[];
  refusedCount?: number;
}

const DATA_PROBLEMS: Record<string, string> = {
  '22001': 'a value is longer than its column allows',
  '22003': 'a number is out of range',
  '22P02': 'a value is not in the form its column takes',
  '22021': 'a value contains characters that cannot be stored',
  '22P05': 'a value contains characters that cannot be stored',
  '08P01': 'a value contains a NUL character',
};

/**
 * The SQLSTATE of a Postgres data exception (class 22), else null. Such an error is about the
 * values written, so trying the same statement again can only fail the same way. So is 08P01
 * here: MikroORM writes the values into the SQL text, where a NUL cuts the protocol message short.
 */
function dataException(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (/^22[0-9A-Z]{3}$/.test(code) || code === '08P01') ? code : null;
}

const refusedMessage = (code: string) => `the row could not be stored: ${DATA_PROBLEMS[code] ?? 'Postgres refused a value'} (SQLSTATE ${code})`;

/** The document ingestion's side effects: parse and store, index, report. */
export function createIngestionActivities(deps: IngestionDeps) {
  const scoped = (tenantId: string) => tenantEm(deps.orm, tenantId);
  // Per document, so concurrent uploads do not silence each other's progress.
  const lastProgressAt = new Map<string, number>();
  const progress = async (tenantId: string, documentId: string, payload: Record<string, unknown>) => {
    if (Date.now() - (lastProgressAt.get(documentId) ?? 0) < PROGRESS_EVERY_MS) return;
    lastProgressAt.set(documentId, Date.now());
    if (lastProgressAt.size > 1000) lastProgressAt.delete(lastProgressAt.keys().next().value!);
    const em = scoped(tenantId);
    await em.nativeUpdate(DocumentSchema, { id: documentId }, { processedRows: Number(payload.processed ?? 0), indexed: Number(payload.indexed ?? 0) });
    await publishEvent(em, { topic: topics.tenant(tenantId), type: 'document.progress', tenantId, payload: { document_id: documentId, ...payload } });
  };

  return {
    /**
     * Parses the uploaded file and writes its rows (as listings) or passages (as knowledge chunks)
     * to Postgres in batches, heartbeating the next batch: after a crash the retry resumes there.
     */
    async storeDocument(input: { tenantId: string; documentId: string }): Promise<StoredDocument> {
      const em = scoped(input.tenantId);
      const doc = await em.findOne(DocumentSchema, { id: input.documentId });
      if (!doc) throw ApplicationFailure.nonRetryable(`document ${input.documentId} does not exist`, 'document_not_found');
      const content = await loadDocumentBytes(em, doc.id);
      if (!content) throw ApplicationFailure.nonRetryable(`document ${doc.id} has no content`, 'document_not_found');
      if (doc.status === 'queued') await em.nativeUpdate(DocumentSchema, { id: doc.id }, { status: 'processing' });

      let parsed;
      try {
        parsed = await parseDocument(doc.type, content);
      } catch (err) {
        if (err instanceof DocumentError) throw ApplicationFailure.nonRetryable(err.message, err.code);
        throw err;
      }
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as StoreProgress | undefined;
      const resume = resumed?.next ?? 0;

      if (parsed.kind === 'text') {
        const chunks = chunkText(parsed.text);
        if (chunks.length === 0) throw ApplicationFailure.nonRetryable('the document contains no text', 'empty_file');
        const now = new Date();
        for (let i = resume; i < chunks.length; i += deps.batchSize) {
          const slice = chunks.slice(i, i + deps.batchSize);
          try {
            await upsertChunks(em, slice.map((text, j) => ({ id: `${doc.id}:${i + j}`, tenantId: doc.tenantId, source: 'document' as const, sourceId: doc.id, ordinal: i + j, title: doc.filename, text, createdAt: now })));
          } catch (err) {
            const code = dataException(err);
            if (code) throw ApplicationFailure.nonRetryable(`the text could not be stored: ${DATA_PROBLEMS[code] ?? 'Postgres refused it'} (SQLSTATE ${code})`, 'invalid_text');
            throw err;
          }
          ctx.heartbeat({ next: i + slice.length } satisfies StoreProgress);
        }
        const stored: StoredDocument = { kind: 'text', totalRows: 0, recordsInserted: 0, rejectedRecords: 0, chunks: chunks.length };
        await em.nativeUpdate(DocumentSchema, { id: doc.id }, { kind: 'text', chunks: chunks.length });
        return stored;
      }

      const rows = parsed.rows;
      const total = parsed.totalRows;
      await em.nativeUpdate(DocumentSchema, { id: doc.id }, { kind: 'listings', totalRows: total });
      // Validation should leave Postgres nothing to refuse; if it does refuse a value, the rows are
      // reported like rejected ones instead of the batch being retried forever.
      const refused: RowError[] = resumed?.refused ?? [];
      let refusedCount = resumed?.refusedCount ?? refused.length;
      for (let i = resume; i < rows.length; i += deps.batchSize) {
        const slice = rows.slice(i, i + deps.batchSize);
        // A file may list the same key twice: the last row wins, as a second upload would.
        const batch = [...new Map(slice.map((r) => [r.record.externalId, r])).values()];
        const now = new Date();
        try {
          await em.execute(upsertPropertiesSql(batch.length), batch.flatMap((r) => propertyParams(doc.tenantId, doc.id, r.record, now)));
        } catch (err) {
          if (!dataException(err)) throw err;
          for (const { row, record } of batch) {
            try {
              await em.execute(upsertPropertiesSql(1), propertyParams(doc.tenantId, doc.id, record, now));
            } catch (rowErr) {
              const code = dataException(rowErr);
              if (!code) throw rowErr;
              refusedCount++;
              if (refused.length < MAX_STORED_ERRORS) refused.push({ row, message: refusedMessage(code) });
            }
          }
        }
        ctx.heartbeat({ next: i + slice.length, refused, refusedCount } satisfies StoreProgress);
        await progress(doc.tenantId, doc.id, { phase: 'storing', processed: i + slice.length, total: rows.length });
      }
      const errors: RowError[] = refused.length ? [...parsed.errors, ...refused].sort((a, b) => a.row - b.row) : parsed.errors;
      const inserted = rows.length - refusedCount;
      const rejected = parsed.errors.length + refusedCount;
      await em.nativeUpdate(DocumentSchema, { id: doc.id }, { recordsInserted: inserted, rejectedRecords: rejected, errors: errors.slice(0, MAX_STORED_ERRORS), processedRows: rows.length });
      return { kind: 'listings', totalRows: total, recordsInserted: inserted, rejectedRecords: rejected, chunks: 0 };
    },

    /**
     * Embeds and indexes what a target wrote to Postgres, in keyset batches heartbeating the last
     * id indexed, so a resumed attempt continues after it. A target whose source is gone is
     * removed from the index instead.
     */
    async indexTarget(input: DocumentIngestionInput): Promise<{ indexed: number; removed: boolean }> {
      const { tenantId, target } = input;
      const em = scoped(tenantId);
      const ctx = Context.current();
      const resume = (ctx.info.heartbeatDetails as IndexBatchProgress | undefined) ?? { after: null, indexed: 0 };
      const batch = <T extends { id: string }>(
        load: (after: string | null) => Promise<T[]>,
        index: (rows: T[]) => Promise<number>,
        onProgress?: (indexed: number) => Promise<void>,
      ) =>
        indexInBatches(resume, load, index, async (position) => {
          ctx.heartbeat(position satisfies IndexBatchProgress);
          await onProgress?.(position.indexed);
        });

      if (target.kind === 'document') {
        const doc = await em.findOne(DocumentSchema, { id: target.documentId });
        if (!doc) return { indexed: 0, removed: true };
        if (doc.kind === 'text') {
          const alias = await ensureAlias(deps.es, deps.indexPrefix, 'knowledge', tenantId, deps.embedder);
          const indexed = await batch(
            (after) => nextChunks(em, { sourceId: doc.id }, after, deps.batchSize),
            (rows) => indexChunks(deps.es, deps.embedder, alias, rows),
          );
          await deps.es.indices.refresh({ index: alias });
          return { indexed, removed: false };
        }
        const alias = await ensureAlias(deps.es, deps.indexPrefix, 'properties', tenantId, deps.embedder);
        const indexed = await batch(
          (after) => nextProperties(em, { documentId: doc.id }, after, deps.batchSize),
          (rows) => indexProperties(deps.es, deps.embedder, alias, rows),
          (n) => progress(tenantId, doc.id, { phase: 'indexing', processed: doc.recordsInserted, indexed: n, total: doc.recordsInserted }),
        );
        await deps.es.indices.refresh({ index: alias });
        return { indexed, removed: false };
      }

      // An edit holds this lock from before it starts its indexing until it commits, and indexing
      // holds it to the end: one entry's edits and indexing runs take turns, each reading the row
      // as last committed. (A run a newer edit replaced may still be running; it waits its turn.)
      return em.transactional(async (tx) => {
        await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [indexLockKey(tenantId, target)]);

        if (target.kind === 'kb') {
          const alias = await ensureAlias(deps.es, deps.indexPrefix, 'knowledge', tenantId, deps.embedder);
          const entry = await tx.findOne(KnowledgeEntrySchema, { id: target.entryId });
          const chunks = entry && entry.isActive ? chunkText(`${entry.content}`) : [];
          // The entry's passages are replaced as a whole: an edit that shortens it leaves no stale
          // tail. The index goes first, so a retry still finds the ids in Postgres.
          const stale = await tx.find(KnowledgeChunkSchema, { sourceId: target.entryId, ordinal: { $gte: chunks.length } }, { fields: ['id'] });
          await deleteFromIndex(deps.es, alias, stale.map((c) => c.id));
          await tx.nativeDelete(KnowledgeChunkSchema, { sourceId: target.entryId, ordinal: { $gte: chunks.length } });
          if (!entry || chunks.length === 0) return { indexed: 0, removed: true };
          const now = new Date();
          const rows = chunks.map((text, i) => ({ id: `${entry.id}:${i}`, tenantId, source: 'kb' as const, sourceId: entry.id, ordinal: i, title: entry.title, text, createdAt: now }));
          await upsertChunks(tx, rows);
          const indexed = await indexChunks(deps.es, deps.embedder, alias, rows, true);
          return { indexed, removed: false };
        }

        const alias = await ensureAlias(deps.es, deps.indexPrefix, 'properties', tenantId, deps.embedder);
        const property = await tx.findOne(PropertySchema, { id: target.propertyId });
        if (!property) {
          await deps.es.delete({ index: alias, id: target.propertyId, refresh: 'wait_for' }, { ignore: [404] });
          return { indexed: 0, removed: true };
        }
        return { indexed: await indexProperties(deps.es, deps.embedder, alias, [property], true), removed: false };
      });
    },

    /** Records how the ingestion ended and tells listeners; safe to repeat. */
    async finishDocument(input: { tenantId: string; documentId: string; status: 'completed' | 'failed'; failure?: string; indexed?: number }): Promise<void> {
      const em = scoped(input.tenantId);
      const doc = await em.findOne(DocumentSchema, { id: input.documentId });
      if (!doc) return;
      const completedAt = doc.completedAt ?? new Date();
      const processingMs = completedAt.getTime() - doc.createdAt.getTime();
      await em.nativeUpdate(DocumentSchema, { id: doc.id }, { status: input.status, failure: input.failure ?? null, indexed: input.indexed ?? doc.indexed, completedAt, processingMs });
      const { workflowExecution: run } = Context.current().info;
      await publishEvent(em, {
        topic: topics.tenant(input.tenantId),
        type: input.status === 'completed' ? 'document.completed' : 'document.failed',
        tenantId: input.tenantId,
        payload: { document_id: doc.id, filename: doc.filename, status: input.status, records_inserted: doc.recordsInserted, rejected_records: doc.rejectedRecords, chunks: doc.chunks, failure: input.failure ?? null },
        idempotencyKey: `${run?.workflowId}:${run?.runId}:finish`,
      });
    },
  };
}

async function upsertChunks(em: ReturnType<MikroORM['em']['fork']>, rows: Array<{ id: string; tenantId: string; source: 'document' | 'kb'; sourceId: string; ordinal: number; title: string | null; text: string; createdAt: Date }>): Promise<void> {
  if (rows.length === 0) return;
  const values = rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
  await em.execute(
    `insert into "knowledge_chunks" ("id", "tenant_id", "source", "source_id", "ordinal", "title", "text", "created_at") values ${values}
     on conflict ("id") do update set "title" = excluded."title", "text" = excluded."text", "created_at" = excluded."created_at"`,
    rows.flatMap((r) => [r.id, r.tenantId, r.source, r.sourceId, r.ordinal, r.title, r.text, r.createdAt]),
  );
}
