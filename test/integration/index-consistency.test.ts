import request from 'supertest';
import type Koa from 'koa';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createSearchSyncActivities } from '../../activities/search-sync';
import { createEmbedder } from '../../src/embeddings';
import { createApp } from '../../src/http/app';
import { aliasName } from '../../src/search/indices';
import { createTemporal } from '../../src/temporal/client';
import { createTestContext, type TestContext } from '../support/context';
import { bearer, registerTenant, type Tenant } from '../support/identity';

/** Postgres and the search index agree: no change one has that the other will not follow. */
describe('the search index follows Postgres', () => {
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;

  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000 });
    app = createApp(ctx);
    await ctx.startWorker();
    t = await registerTenant(app);
  });
  afterAll(() => ctx.close());

  // The rebuild's steps run one by one, so a delete lands exactly between copy and swap.
  it('leaves out of a rebuilt index what was deleted while it was being built', async () => {
    const create = (title: string, content: string) => request(app.callback()).post('/api/v1/kb').set(bearer(t.admin.token)).send({ title, content });
    const gone = await create('Estacionamiento', 'Cada departamento incluye un estacionamiento y una bodega.');
    const kept = await create('Mascotas', 'Se aceptan mascotas pequeñas en todos los edificios.');
    expect([gone.body.indexing.status, kept.body.indexing.status]).toEqual(['indexed', 'indexed']);
    const chunkIds = async (entryId: string) => (await ctx.sql<{ id: string }>('select id::text as id from knowledge_chunks where source_id = ?', [entryId])).map((r) => r.id);
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

  it('takes into a rebuilt index a change stamped before the copy began that committed after it passed', async () => {
    const created = await request(app.callback()).post('/api/v1/properties').set(bearer(t.admin.token)).send({ unique_id: 'LATE-1', title: 'Casa antes', city: 'Ñuñoa', price: 1000 });
    expect(created.status).toBe(201);
    const activities = createSearchSyncActivities({ orm: ctx.orm, es: ctx.es, embedder: createEmbedder(ctx.config), indexPrefix: ctx.config.ELASTICSEARCH_INDEX_PREFIX, batchSize: 50 });
    const built = (await new MockActivityEnvironment().run(activities.rebuildSearchIndex, { tenantId: t.brokerId, kind: 'properties' as const })) as Awaited<ReturnType<typeof activities.rebuildSearchIndex>>;
    // As a transaction that flushed before the copy began and committed once the copy had read past it.
    await ctx.sql("update properties set title = 'Casa después', updated_at = ?::timestamptz - interval '5 seconds' where id = ?", [built.startedAt, created.body.id]);
    await activities.swapSearchAlias({ tenantId: t.brokerId, kind: 'properties', index: built.index, since: built.startedAt });
    const alias = aliasName(ctx.config.ELASTICSEARCH_INDEX_PREFIX, 'properties', t.brokerId);
    const doc = await ctx.es.get<{ title: string }>({ index: alias, id: created.body.id });
    expect(doc._source?.title).toBe('Casa después');
  });

  it('saves no entry or listing change whose indexing Temporal does not take, and answers 503', async () => {
    // A client of a namespace that does not exist: every workflow start is refused.
    const refusingTemporal = createTemporal({ ...ctx.config, TEMPORAL_NAMESPACE: 'no-such-namespace' });
    const refusing = createApp({ ...ctx, temporal: refusingTemporal });
    const via = (a: Koa) => request(a.callback());
    const count = async (query: string, params: unknown[]) => (await ctx.sql<{ n: number }>(query, params))[0]!.n;

    const kb = await via(refusing).post('/api/v1/kb').set(bearer(t.admin.token)).send({ title: 'Horario', content: 'Atendemos de lunes a sábado.' });
    expect(kb.status).toBe(503);
    expect(kb.body.status).toBe('error');
    expect(await count("select count(*)::int as n from knowledge_entries where tenant_id = ? and title = 'Horario'", [t.brokerId])).toBe(0);

    const listing = { unique_id: 'TX-503', title: 'Casa en La Reina', city: 'La Reina', property_type: 'house', listing_type: 'sale', price: 9000 };
    expect((await via(refusing).post('/api/v1/properties').set(bearer(t.admin.token)).send(listing)).status).toBe(503);
    expect(await count("select count(*)::int as n from properties where tenant_id = ? and external_id = 'TX-503'", [t.brokerId])).toBe(0);
    const created = await via(app).post('/api/v1/properties').set(bearer(t.admin.token)).send(listing);
    expect(created.status).toBe(201);
    expect((await via(refusing).patch(`/api/v1/properties/${created.body.id}`).set(bearer(t.admin.token)).send({ price: 1 })).status).toBe(503);
    expect((await via(app).get(`/api/v1/properties/${created.body.id}`).set(bearer(t.admin.token))).body.price).toBe(9000);

    const entry = await via(app).post('/api/v1/kb').set(bearer(t.admin.token)).send({ title: 'Horario', content: 'Atendemos de lunes a sábado.' });
    expect(entry.status).toBe(201);
    expect((await via(refusing).delete(`/api/v1/kb/${entry.body.id}`).set(bearer(t.admin.token))).status).toBe(503);
    expect((await via(app).get(`/api/v1/kb/${entry.body.id}`).set(bearer(t.admin.token))).status).toBe(200);
    expect(await count('select count(*)::int as n from knowledge_chunks where source_id = ?', [entry.body.id])).toBeGreaterThan(0);
    await refusingTemporal.connection.close();
  });
});
