import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../src/contracts';
import { createTestContext, type TestContext } from '../support/context';

describe('the services the stack provides', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('Elasticsearch runs dense_vector kNN with a tenant filter', async () => {
    const index = `test-knn-${randomUUID()}`;
    await ctx.es.indices.create({
      index,
      mappings: {
        properties: {
          tenant_id: { type: 'keyword' },
          embedding: { type: 'dense_vector', dims: 4, index: true, similarity: 'cosine', index_options: { type: 'hnsw' } },
        },
      },
    });
    try {
      await ctx.es.bulk({
        index,
        refresh: true,
        operations: [
          { index: { _id: 'a' } }, { tenant_id: 't1', embedding: [1, 0, 0, 0] },
          { index: { _id: 'b' } }, { tenant_id: 't1', embedding: [0, 1, 0, 0] },
          { index: { _id: 'c' } }, { tenant_id: 't2', embedding: [0.99, 0.01, 0, 0] },
        ],
      });
      const res = await ctx.es.search({
        index,
        knn: { field: 'embedding', query_vector: [1, 0.05, 0, 0], k: 2, num_candidates: 10, filter: { term: { tenant_id: 't1' } } },
      });
      expect(res.hits.hits.map((h) => h._id)).toEqual(['a', 'b']);
    } finally {
      await ctx.es.indices.delete({ index });
    }
  });

  it('Temporal has the custom search attributes registered', async () => {
    const connection = await Connection.connect({ address: ctx.config.TEMPORAL_ADDRESS });
    try {
      const res = await connection.operatorService.listSearchAttributes({ namespace: ctx.config.TEMPORAL_NAMESPACE });
      expect(Object.keys(res.customAttributes ?? {})).toEqual(expect.arrayContaining(Object.keys(CUSTOM_SEARCH_ATTRIBUTES)));
    } finally {
      await connection.close();
    }
  });

  it('Postgres schema matches the entities after the committed migrations', async () => {
    const diff = await ctx.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
    const pending = await ctx.orm.getMigrator().getPendingMigrations();
    expect(pending).toEqual([]);
  });
});
