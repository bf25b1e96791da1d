import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ingestionWorkflowId, type DocumentIngestionResult, type DocumentType, type RowError } from '../contracts/documents';
import { DocumentContentSchema, DocumentSchema, type Document } from '../db/entities';
import { detectFileType, safeFilename } from '../documents';
import type { Logger } from '../logger';
import { ServiceUnavailableError } from '../errors';
import { startIngestion, waitFor, type TemporalUser, type WaitOutcome } from './workflows';

export interface UploadedFile {
  originalFilename: string | null;
  filepath: string;
  size: number;
}

/** One file's line in the upload response (seed 000's fields plus where to follow it). */
export interface FileReport {
  filename: string;
  type: DocumentType | null;
  status: 'completed' | 'processing' | 'failed' | 'rejected';
  document_id: string | null;
  workflow_id: string | null;
  records_inserted: number;
  rejected_records: number;
  chunks: number;
  errors: Array<RowError | { code: string; message: string }>;
  processing_time: number;
}

export interface UploadReport {
  files: FileReport[];
  /** Every accepted file finished within the request. */
  allDone: boolean;
  totalSeconds: number;
}

const seconds = (ms: number) => Math.round(ms) / 1000;

/** The error of a file that passed its checks but was not stored, as no workflow could start. */
export const NOT_STARTED = { code: 'service_unavailable', message: 'The workflow service is unavailable; this file was not stored, upload it again shortly' } as const;

export function notStartedReport(filename: string, type: DocumentType): FileReport {
  return { filename, type, status: 'failed', document_id: null, workflow_id: null, records_inserted: 0, rejected_records: 0, chunks: 0, errors: [{ ...NOT_STARTED }], processing_time: 0 };
}

/**
 * Decides, once every file was tried, whether the reports are the answer. When the workflow
 * service failed before any file started, nothing was stored and the request fails as a whole;
 * once one has started it runs whatever the client is told, so each file says what became of it.
 */
export function throwIfNothingStarted(reports: FileReport[]): void {
  const notStarted = reports.some((r) => r.errors.some((e) => 'code' in e && e.code === NOT_STARTED.code));
  if (notStarted && reports.every((r) => r.document_id === null)) {
    throw new ServiceUnavailableError('The workflow service is unavailable; nothing was stored, try again shortly');
  }
}

/**
 * Checks each file on its own (name, size, content type by its bytes), stores the accepted ones
 * and starts their ingestion. Small uploads are waited for; large ones continue in the background.
 * A file that fails a check is reported and nothing of it is stored; the others go on. Once the
 * workflow service has failed, the files after it are not stored either, and say so.
 */
export async function acceptUpload(
  deps: TemporalUser & { logger: Logger },
  em: EntityManager,
  input: { tenantId: string; actorId: string | null; files: UploadedFile[] },
): Promise<UploadReport> {
  const started = performance.now();
  const reports: FileReport[] = [];
  const accepted: Array<{ report: FileReport; doc: Document; started: number }> = [];
  const reject = (filename: string, type: DocumentType | null, code: string, message: string) =>
    reports.push({ filename, type, status: 'rejected', document_id: null, workflow_id: null, records_inserted: 0, rejected_records: 0, chunks: 0, errors: [{ code, message }], processing_time: 0 });
  let unavailable = false;

  for (const file of input.files) {
    const fileStarted = performance.now();
    const name = safeFilename(file.originalFilename ?? '');
    if (!name.ok) {
      reject(String(file.originalFilename ?? '').slice(0, 255), null, name.code, name.message);
      continue;
    }
    if (file.size > deps.config.UPLOAD_MAX_FILE_BYTES) {
      reject(name.name, null, 'file_too_large', `${file.size} bytes is over the ${deps.config.UPLOAD_MAX_FILE_BYTES}-byte limit per file`);
      continue;
    }
    const bytes = await readFile(file.filepath);
    const detected = detectFileType(name.name, bytes);
    if (!detected.ok) {
      reject(name.name, null, detected.code, detected.message);
      continue;
    }
    if (unavailable) {
      reports.push(notStartedReport(name.name, detected.type));
      continue;
    }
    const documentId = randomUUID();
    const doc = em.create(DocumentSchema, {
      id: documentId,
      tenantId: input.tenantId,
      filename: name.name,
      type: detected.type,
      sizeBytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      workflowId: ingestionWorkflowId(input.tenantId, { kind: 'document', documentId }),
      errors: [],
      uploadedBy: input.actorId,
    });
    await em.transactional(async (tx) => {
      tx.persist(doc);
      tx.persist(tx.create(DocumentContentSchema, { documentId: doc.id, tenantId: input.tenantId, content: bytes }));
    });
    const report: FileReport = { filename: name.name, type: detected.type, status: 'processing', document_id: doc.id, workflow_id: doc.workflowId, records_inserted: 0, rejected_records: 0, chunks: 0, errors: [], processing_time: 0 };
    try {
      await startIngestion(deps, input.tenantId, { kind: 'document', documentId: doc.id });
    } catch (err) {
      // Without a workflow nothing would ever process the file: take it back whole. The files
      // already started keep running, so the answer must still list them.
      await em.nativeDelete(DocumentContentSchema, { documentId: doc.id });
      await em.nativeDelete(DocumentSchema, { id: doc.id });
      deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'could not start document ingestion');
      unavailable = true;
      reports.push(notStartedReport(name.name, detected.type));
      continue;
    }
    reports.push(report);
    accepted.push({ report, doc, started: fileStarted });
  }
  throwIfNothingStarted(reports);

  const totalBytes = accepted.reduce((n, a) => n + a.doc.sizeBytes, 0);
  let allDone = accepted.length > 0;
  if (totalBytes <= deps.config.INGEST_SYNC_MAX_BYTES) {
    await Promise.all(
      accepted.map(async ({ report, doc, started: fileStarted }) => {
        const handle = deps.temporal.client.workflow.getHandle(doc.workflowId);
        const outcome = await waitFor<DocumentIngestionResult>(handle, deps.config.INGEST_SYNC_WAIT_MS).catch((err: unknown): WaitOutcome<DocumentIngestionResult> => {
          // The workflow was started and runs on: the file is `processing`, to follow by its id.
          deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'could not wait for document ingestion');
          return { done: false };
        });
        report.processing_time = seconds(performance.now() - fileStarted);
        const fresh = outcome.done || outcome.failure ? await em.fork().findOne(DocumentSchema, { id: doc.id }, { filters: { tenant: { tenantId: input.tenantId } } }) : null;
        if (outcome.done) {
          Object.assign(report, { status: 'completed', records_inserted: outcome.result.recordsInserted, rejected_records: outcome.result.rejectedRecords, chunks: outcome.result.chunks, errors: fresh?.errors ?? [] });
        } else if (outcome.failure) {
          const failure = fresh?.failure ?? outcome.failure;
          Object.assign(report, { status: 'failed', errors: [{ code: failureCode(failure), message: failure.replace(/^[a-z_]+: /, '') }] });
        } else {
          allDone = false;
        }
      }),
    );
  } else {
    allDone = false;
  }
  return { files: reports, allDone, totalSeconds: seconds(performance.now() - started) };
}

/** Whole-file failures carry their code as the failure type (`corrupt_file: …`). */
function failureCode(message: string): string {
  const m = /^([a-z_]+):/.exec(message);
  return m ? m[1]! : 'ingestion_failed';
}

/** A document as `GET /documents/{id}` shows it, progress included. */
export function presentDocument(d: Document) {
  return {
    id: d.id,
    filename: d.filename,
    type: d.type,
    size_bytes: d.sizeBytes,
    sha256: d.sha256,
    status: d.status,
    kind: d.kind,
    workflow_id: d.workflowId,
    progress: { total_rows: d.totalRows, processed_rows: d.processedRows, indexed: d.indexed },
    records_inserted: d.recordsInserted,
    rejected_records: d.rejectedRecords,
    chunks: d.chunks,
    errors: d.errors,
    failure: d.failure,
    processing_time: d.processingMs != null ? seconds(d.processingMs) : null,
    uploaded_by: d.uploadedBy,
    download_url: `/api/v1/documents/${d.id}/content`,
    created_at: d.createdAt,
    completed_at: d.completedAt,
  };
}
