import { rm } from 'node:fs/promises';
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { parseBody } from '../middleware/body';
import { z } from 'zod';
import { DOCUMENT_STATUSES } from '../../contracts/documents';
import { DocumentSchema } from '../../db/entities';
import { loadDocumentBytes } from '../../knowledge/content';
import { AppError } from '../../errors';
import { acceptUpload, presentDocument, type UploadedFile, type UploadReport } from '../../knowledge/uploads';
import { startSearchSync, waitFor } from '../../knowledge/workflows';
import type { AppDeps } from '../deps';
import { findOr404 } from '../lookup';
import { namedTenant, principalOf, requestEm, requireRole, targetTenant } from '../middleware/identity';
import { numeric, Uuid } from '../schemas';

const DocumentListQuerySchema = z.object({
  limit: numeric(z.number().int().min(1).max(200).default(50)),
  offset: numeric(z.number().int().min(0).max(1_000_000).default(0)),
  status: z.enum(DOCUMENT_STATUSES).optional(),
  broker_id: Uuid.optional(),
});
const TenantQuerySchema = z.object({ broker_id: Uuid.optional() });
const MAX_FILES = 20;

/**
 * Formidable lists files as their writes finish, not in request order; the order each began in
 * keeps a report's files in the order the client sent them.
 */
const fileSequence = new WeakMap<object, number>();
let filesBegun = 0;

/** Multipart parsing for uploads: per-file size is checked per file, the request as a whole here. */
export function uploadBody(deps: AppDeps) {
  const total = deps.config.UPLOAD_MAX_FILE_BYTES * 2;
  return parseBody({
    multipart: true,
    json: false,
    urlencoded: false,
    formidable: {
      maxFiles: MAX_FILES,
      maxFileSize: total,
      maxTotalFileSize: total,
      allowEmptyFiles: true,
      minFileSize: 0,
      onFileBegin: (_name, file) => void fileSequence.set(file, filesBegun++),
    },
  });
}

/** Every uploaded file whatever its field name (`file`, `files`, `file[]`…). */
export function uploadedFiles(ctx: ParameterizedContext): UploadedFile[] {
  const files = Object.values(ctx.request.files ?? {})
    .flatMap((f) => (Array.isArray(f) ? f : [f]))
    .sort((a, b) => (fileSequence.get(a) ?? 0) - (fileSequence.get(b) ?? 0));
  return files.map((f) => ({ originalFilename: f.originalFilename, filepath: f.filepath, size: f.size }));
}

/** Runs an upload for the caller's tenant; no file at all is a 422 in the caller's error shape. */
export async function runUpload(deps: AppDeps, ctx: ParameterizedContext): Promise<UploadReport> {
  const files = uploadedFiles(ctx);
  if (files.length === 0) throw new AppError(422, 'validation_error', 'Upload one or more files as multipart form data (field "file")', [{ path: 'file', message: 'required' }]);
  try {
    const tenantId = targetTenant(ctx, TenantQuerySchema.parse(ctx.query).broker_id);
    const principal = principalOf(ctx);
    return await acceptUpload(deps, requestEm(), { tenantId, actorId: principal.id, files });
  } finally {
    // The bytes are in Postgres (or rejected): the temporary copies go either way.
    await Promise.all(files.map((f) => rm(f.filepath, { force: true })));
  }
}

/** Seed 002's documents: upload, follow, download, reindex. */
export function documentRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/documents' });
  router.use(requireRole('SUPERADMIN', 'ADMIN', 'AGENT'));

  router.post('/upload', uploadBody(deps), async (ctx) => {
    const report = await runUpload(deps, ctx);
    ctx.state.audit = { action: 'documents.upload', resource: 'documents' };
    const accepted = report.files.filter((f) => f.status !== 'rejected');
    if (accepted.length === 0) {
      throw new AppError(422, 'no_valid_files', 'No file could be accepted; see each file’s errors', { processed_files: report.files });
    }
    ctx.status = report.allDone ? 200 : 202;
    const failed = report.files.some((f) => f.status === 'rejected' || f.status === 'failed');
    ctx.body = {
      status: report.allDone ? (failed ? 'partial' : 'success') : 'accepted',
      message: report.allDone ? 'Documents processed' : 'Documents accepted; follow each document for progress',
      processed_files: report.files,
      total_processing_time: report.totalSeconds,
      vector_db_updated: report.files.some((f) => f.status === 'completed'),
      processing_time: report.totalSeconds,
    };
  });

  router.get('/', async (ctx) => {
    const q = DocumentListQuerySchema.parse(ctx.query);
    const [rows, total] = await requestEm().findAndCount(DocumentSchema, { ...namedTenant(ctx, q.broker_id), ...(q.status ? { status: q.status } : {}) }, { orderBy: { createdAt: 'desc', id: 'asc' }, limit: q.limit, offset: q.offset });
    ctx.body = { data: rows.map(presentDocument), total, limit: q.limit, offset: q.offset };
  });

  router.post('/reindex', requireRole('SUPERADMIN', 'ADMIN'), async (ctx) => {
    await reindex(deps, ctx);
  });

  router.get('/:id', async (ctx) => {
    ctx.body = presentDocument(await findOr404(DocumentSchema, ctx.params.id, 'Document'));
  });

  router.get('/:id/content', async (ctx) => {
    const doc = await findOr404(DocumentSchema, ctx.params.id, 'Document');
    const content = await loadDocumentBytes(requestEm(), doc.id);
    if (!content) throw new AppError(404, 'not_found', 'Document content not found');
    ctx.type = { csv: 'text/csv', json: 'application/json', txt: 'text/plain', pdf: 'application/pdf', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' }[doc.type];
    // A header value must be Latin-1: names beyond it (€, 東京) go in `filename*` (RFC 6266),
    // with an ASCII fallback for clients that do not read it.
    ctx.attachment(doc.filename);
    ctx.body = content;
  });

  return router;
}

/** Starts the tenant's rebuild; `?wait=true` answers when it is done (or 202 after the wait). */
export async function reindex(deps: AppDeps, ctx: ParameterizedContext, forceWait = false): Promise<void> {
  const q = z.object({ broker_id: Uuid.optional(), wait: z.enum(['true', 'false']).optional() }).parse(ctx.query);
  const tenantId = targetTenant(ctx, q.broker_id);
  const handle = await startSearchSync(deps, { tenantId, reason: 'manual' });
  ctx.state.audit = { action: 'search.reindex', resource: 'search' };
  if (forceWait || q.wait === 'true') {
    const outcome = await waitFor<{ properties: number; chunks: number; indices: Record<string, string>; tookMs: number }>(handle, deps.config.INGEST_SYNC_WAIT_MS);
    if (outcome.done) {
      ctx.body = { status: 'completed', workflow_id: handle.workflowId, properties: outcome.result.properties, chunks: outcome.result.chunks, indices: outcome.result.indices, processing_time: outcome.result.tookMs / 1000 };
      return;
    }
    if (outcome.failure) throw new AppError(502, 'reindex_failed', `The rebuild failed: ${outcome.failure}`);
  }
  ctx.status = 202;
  ctx.body = { status: 'running', workflow_id: handle.workflowId };
}

/** Seed 002's `/search/reindex`: the same rebuild. */
export function searchRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/search' });
  router.post('/reindex', requireRole('SUPERADMIN', 'ADMIN'), async (ctx) => {
    await reindex(deps, ctx);
  });
  return router;
}
