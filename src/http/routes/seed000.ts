import Router from '@koa/router';
import type { AppDeps } from '../deps';
import { AppError } from '../../errors';
import { requireRole } from '../middleware/identity';
import { reindex, runUpload, uploadBody } from './documents';

/**
 * Seed 000's paths for documents and the vector index, in its response shapes. Its other paths
 * (chat, users, conversations) live with those features.
 */
export function seed000DocumentRoutes(deps: AppDeps): Router {
  const router = new Router();

  router.post('/upload_docs', requireRole('SUPERADMIN', 'ADMIN', 'AGENT'), uploadBody(deps), async (ctx) => {
    const report = await runUpload(deps, ctx);
    ctx.state.audit = { action: 'documents.upload', resource: 'documents' };
    if (report.files.every((f) => f.status === 'rejected')) {
      throw new AppError(422, 'no_valid_files', 'No file could be accepted; see each file’s errors', { processed_files: report.files });
    }
    ctx.status = report.allDone ? 200 : 202;
    ctx.body = {
      status: 'success',
      message: report.allDone ? 'Documents processed successfully' : 'Documents accepted for processing',
      processed_files: report.files,
      total_processing_time: report.totalSeconds,
      vector_db_updated: report.files.some((f) => f.status === 'completed'),
      processing_time: report.totalSeconds,
    };
  });

  router.post('/admin/sync-vector-db', requireRole('SUPERADMIN', 'ADMIN'), async (ctx) => {
    const started = performance.now();
    await reindex(deps, ctx, true);
    const body = ctx.body as { status: string };
    ctx.body = {
      ...body,
      status: 'success',
      message: body.status === 'completed' ? 'Vector database sync completed successfully' : 'Vector database sync started',
      processing_time: Math.round(performance.now() - started) / 1000,
    };
  });

  return router;
}
