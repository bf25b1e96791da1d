import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { KnowledgeEntrySchema, type KnowledgeEntry } from '../../db/entities';
import { createEmbedder } from '../../embeddings';
import { saveAndIndex } from '../../knowledge/workflows';
import { searchPassages } from '../../search/retrieve';
import type { AppDeps } from '../deps';
import { findOr404 } from '../lookup';
import { namedTenant, principalOf, requestEm, requireRole, targetTenant } from '../middleware/identity';
import { numeric, Uuid } from '../schemas';

const Title = z.string().trim().min(1).max(300);
const Content = z.string().trim().min(1).max(100_000);
const Tags = z.array(z.string().trim().min(1).max(50)).max(30);
export const KbCreateSchema = z.strictObject({
  title: Title,
  content: Content,
  category: z.string().trim().min(1).max(100).nullable().optional(),
  tags: Tags.optional(),
  is_active: z.boolean().optional(),
});
export const KbUpdateSchema = KbCreateSchema.partial();
export const KbSearchSchema = z.strictObject({
  query: z.string().trim().min(1).max(2000),
  limit: z.number().int().min(1).max(50).default(5),
  category: z.string().trim().min(1).max(100).optional(),
});
const KbListQuerySchema = z.object({
  skip: numeric(z.number().int().min(0).max(1_000_000).default(0)),
  limit: numeric(z.number().int().min(1).max(200).default(50)),
  category: z.string().trim().min(1).max(100).optional(),
  broker_id: Uuid.optional(),
});

export const presentEntry = (e: KnowledgeEntry) => ({
  id: e.id,
  title: e.title,
  content: e.content,
  category: e.category,
  tags: e.tags,
  is_active: e.isActive,
  created_by: e.createdBy,
  created_at: e.createdAt,
  updated_at: e.updatedAt,
});

/** Creates or updates an entry and indexes it before answering (or says indexing is pending). */
export async function saveEntry(deps: AppDeps, ctx: ParameterizedContext, existing: KnowledgeEntry | null, body: z.infer<typeof KbUpdateSchema>) {
  const em = requestEm();
  const tenantId = existing?.tenantId ?? targetTenant(ctx, z.object({ broker_id: Uuid.optional() }).parse(ctx.query).broker_id);
  const entry =
    existing ??
    em.create(KnowledgeEntrySchema, { tenantId, title: body.title!, content: body.content!, tags: [], createdBy: principalOf(ctx).id });
  if (body.title !== undefined) entry.title = body.title;
  if (body.content !== undefined) entry.content = body.content;
  if (body.category !== undefined) entry.category = body.category;
  if (body.tags !== undefined) entry.tags = body.tags;
  if (body.is_active !== undefined) entry.isActive = body.is_active;
  const indexing = await saveAndIndex(deps, em, tenantId, () => ({ kind: 'kb', entryId: entry.id }));
  return { ...presentEntry(entry), indexing };
}

/** Seed 001's knowledge base: entries embedded on write, semantic search over them. */
export function kbRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/kb' });
  router.use(requireRole('SUPERADMIN', 'ADMIN', 'AGENT'));
  const embedder = createEmbedder(deps.config);

  router.get('/', async (ctx) => {
    const q = KbListQuerySchema.parse(ctx.query);
    const [rows, total] = await requestEm().findAndCount(KnowledgeEntrySchema, { ...namedTenant(ctx, q.broker_id), ...(q.category ? { category: q.category } : {}) }, { orderBy: { createdAt: 'desc', id: 'asc' }, offset: q.skip, limit: q.limit });
    ctx.body = { data: rows.map(presentEntry), total, skip: q.skip, limit: q.limit };
  });

  router.post('/', requireRole('SUPERADMIN', 'ADMIN'), async (ctx) => {
    const body = KbCreateSchema.parse(ctx.request.body);
    const saved = await saveEntry(deps, ctx, null, body);
    ctx.state.audit = { action: 'kb.create', resource: 'kb', resourceId: saved.id };
    ctx.status = 201;
    ctx.body = saved;
  });

  router.post('/search', async (ctx) => {
    const body = KbSearchSchema.parse(ctx.request.body);
    const tenantId = targetTenant(ctx, z.object({ broker_id: Uuid.optional() }).parse(ctx.query).broker_id);
    // Passages are ranked; an entry appears once, at its best passage.
    const hits = await searchPassages({ es: deps.es, embedder, prefix: deps.config.ELASTICSEARCH_INDEX_PREFIX }, tenantId, body.query, body.limit * 4, 'kb');
    const best = new Map<string, (typeof hits)[number]>();
    for (const h of hits) if (!best.has(h.source.source_id)) best.set(h.source.source_id, h);
    const ids = [...best.keys()];
    const entries = ids.length ? await requestEm().find(KnowledgeEntrySchema, { id: { $in: ids }, isActive: true, ...(body.category ? { category: body.category } : {}) }) : [];
    const byId = new Map(entries.map((e) => [e.id, e]));
    const results = ids
      .filter((id) => byId.has(id))
      .slice(0, body.limit)
      .map((id) => ({ ...presentEntry(byId.get(id)!), score: Number(best.get(id)!.score.toFixed(6)), passage: best.get(id)!.source.text }));
    ctx.body = { query: body.query, results, total: results.length };
  });

  router.get('/:id', async (ctx) => {
    ctx.body = presentEntry(await findOr404(KnowledgeEntrySchema, ctx.params.id, 'Knowledge entry'));
  });

  router.put('/:id', requireRole('SUPERADMIN', 'ADMIN'), async (ctx) => {
    const body = KbUpdateSchema.parse(ctx.request.body);
    const entry = await findOr404(KnowledgeEntrySchema, ctx.params.id, 'Knowledge entry');
    ctx.body = await saveEntry(deps, ctx, entry, body);
    ctx.state.audit = { action: 'kb.update', resource: 'kb', resourceId: entry.id };
  });

  router.delete('/:id', requireRole('SUPERADMIN', 'ADMIN'), async (ctx) => {
    const entry = await findOr404(KnowledgeEntrySchema, ctx.params.id, 'Knowledge entry');
    const em = requestEm();
    // The ingestion sees the entry gone and removes its passages from Postgres and the index.
    await saveAndIndex(deps, em, entry.tenantId, () => ({ kind: 'kb', entryId: entry.id }), () => em.nativeDelete(KnowledgeEntrySchema, { id: entry.id }));
    ctx.state.audit = { action: 'kb.delete', resource: 'kb', resourceId: entry.id };
    ctx.status = 204;
  });

  return router;
}

const AdminKnowledgeSchema = KbCreateSchema.extend({ id: Uuid.optional() });

/** Seed 002's curated knowledge: the same entries; POST with an `id` updates. */
export function adminKnowledgeRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/admin/knowledge' });
  router.use(requireRole('SUPERADMIN', 'ADMIN'));

  router.get('/', async (ctx) => {
    const q = KbListQuerySchema.parse(ctx.query);
    const [rows, total] = await requestEm().findAndCount(KnowledgeEntrySchema, { ...namedTenant(ctx, q.broker_id), ...(q.category ? { category: q.category } : {}) }, { orderBy: { createdAt: 'desc', id: 'asc' }, offset: q.skip, limit: q.limit });
    ctx.body = { data: rows.map(presentEntry), total, skip: q.skip, limit: q.limit };
  });

  router.post('/', async (ctx) => {
    const { id, ...body } = AdminKnowledgeSchema.parse(ctx.request.body);
    const existing = id ? await findOr404(KnowledgeEntrySchema, id, 'Knowledge entry') : null;
    const saved = await saveEntry(deps, ctx, existing, body);
    ctx.state.audit = { action: existing ? 'kb.update' : 'kb.create', resource: 'kb', resourceId: saved.id };
    ctx.status = existing ? 200 : 201;
    ctx.body = saved;
  });

  return router;
}
