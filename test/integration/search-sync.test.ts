import request from 'supertest';
import type Koa from 'koa';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createSearchSyncActivities } from '../../activities/search-sync';
import { createEmbedder } from '../../src/embeddings';
import { createApp } from '../../src/http/app';
import { aliasName } from '../../src/search/indices';
import { createTestContext, type TestContext } from '../support/context';
import { bearer, registerTenant, type Tenant } from '../support/identity';

/** The rebuild's steps run one by one, so a write can land exactly between copy and swap. */
describe('rebuilding a search index', () => {
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;
  const sql = async <T>(query: string, params: unknown[] = []) => ctx.orm.em.fork().getConnection().execute<T[]>(query, params);

  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000 });
    app = createApp(ctx);
    await ctx.startWorker();
    t = await registerTenant(app);
  });
  afterAll(() => ctx.close());

  it('leaves out of the new index what was deleted while it was being built', async () => {
    const create = (title: string, content: string) => request(app.callback()).post('/api/v1/kb').set(bearer(t.admin.token)).send({ title, content });
    const gone = await create('Estacionamiento', 'Cada departamento incluye un estacionamiento y una bodega.');
    const kept = await create('Mascotas', 'Se aceptan mascotas pequeñas en todos los edificios.');
    expect([gone.body.indexing.status, kept.body.indexing.status]).toEqual(['indexed', 'indexed']);
    const chunkIds = async (entryId: string) => (await sql<{ id: string }>('select id::text as id from knowledge_chunks where source_id = ?', [entryId])).map((r) => r.id);
    const goneChunks = await chunkIds(gone.body.id);
    const keptChunks = await chunkIds(kept.body.id);
    expect(goneChunks.length).toBeGreaterThan(0);

    const activities = createSearchSyncActivities({ orm: ctx.orm, es: ctx.es, embedder: createEmbedder(ctx.config), indexPrefix: ctx.config.ELASTICSEARCH_INDEX_PREFIX, batchSize: 1 });
    const built = (await new MockActivityEnvironment().run(activities.rebuildSearchIndex, { tenantId: t.brokerId, kind: 'knowledge' as const })) as Awaited<ReturnType<typeof activities.rebuildSearchIndex>>;
    expect(built.count).toBe(goneChunks.length + keptChunks.length);

    // Deleted after the copy passed it: the delete reaches the index the alias still names.
    expect((await request(app.callback()).delete(`/api/v1/kb/${gone.body.id}`).set(bearer(t.admin.token))).status).toBe(204);
    const swapped = await activities.swapSearchAlias({ tenantId: t.brokerId, kind: 'knowledge', index: built.index, since: built.startedAt });
    expect(swapped.removed).toBe(goneChunks.length);

    const alias = aliasName(ctx.config.ELASTICSEARCH_INDEX_PREFIX, 'knowledge', t.brokerId);
    const present = await ctx.es.search({ index: alias, query: { ids: { values: [...goneChunks, ...keptChunks] } }, _source: false, size: 100 });
    expect(present.hits.hits.map((h) => h._id).sort()).toEqual([...keptChunks].sort());
  });
});
