import { randomUUID } from 'node:crypto';
import type { CrmEvent } from '../../src/contracts';
import { initOrm } from '../../src/db/orm';
import { publishEvent } from '../../src/events/bus';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';

/** Collects what the listener delivers on one topic. */
function collect(ctx: TestContext, topic: string) {
  const seen: CrmEvent[] = [];
  const stop = ctx.events.subscribe((e) => e.topic === topic && seen.push(e));
  const until = async (count: number, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (seen.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    return seen;
  };
  return { seen, until, stop };
}

describe('events bus (Postgres NOTIFY)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  const em = () => ctx.orm.em.fork();

  it('delivers a published event to the listener with its stored id', async () => {
    const topic = `test:${randomUUID()}`;
    const { until, stop } = collect(ctx, topic);
    const id = await publishEvent(em(), { topic, type: 'lead.created', tenantId: 't1', payload: { name: 'María' } });
    const [event] = await until(1);
    stop();
    expect(event).toEqual({ id, topic, type: 'lead.created', tenantId: 't1', payload: { name: 'María' }, createdAt: expect.any(String) });
  });

  it('stores and delivers an event once however often it is published with the same key', async () => {
    const topic = `test:${randomUUID()}`;
    const { seen, until, stop } = collect(ctx, topic);
    const key = `wf:run:${randomUUID()}`;
    const ids = await Promise.all([1, 2, 3].map(() => publishEvent(em(), { topic, type: 'x', payload: {}, idempotencyKey: key })));
    await publishEvent(em(), { topic, type: 'marker', payload: {} });
    await until(2);
    stop();
    expect(new Set(ids).size).toBe(1);
    expect(seen.map((e) => e.type)).toEqual(['x', 'marker']);
    const rows = await em().getConnection().execute('select count(*)::int as n from events where idempotency_key = ?', [key]);
    expect(rows[0].n).toBe(1);
  });

  it('delivers an event larger than a NOTIFY payload by reading its row', async () => {
    const topic = `test:${randomUUID()}`;
    const { until, stop } = collect(ctx, topic);
    const big = 'ñ'.repeat(20_000);
    await publishEvent(em(), { topic, type: 'big', payload: { big } });
    const [event] = await until(1);
    stop();
    expect(event?.payload.big).toBe(big);
  });

  it('keeps commit order across many publishers', async () => {
    const topic = `test:${randomUUID()}`;
    const { until, stop } = collect(ctx, topic);
    for (let i = 0; i < 50; i++) await publishEvent(em(), { topic, type: 'n', payload: { i } });
    const seen = await until(50);
    stop();
    expect(seen.map((e) => e.payload.i)).toEqual([...Array(50).keys()]);
  });

  it('replays what was committed while its connection was down', async () => {
    const topic = `test:${randomUUID()}`;
    const { until, stop } = collect(ctx, topic);
    await publishEvent(em(), { topic, type: 'before', payload: {} });
    await until(1);
    // Kill the listener's backend from the server side, publish while it reconnects.
    expect(ctx.events.backendPid).toEqual(expect.any(Number));
    await em().getConnection().execute('select pg_terminate_backend(?)', [ctx.events.backendPid]);
    await eventually('the listener to notice its connection is gone', () => ctx.events.connected, (connected) => !connected, 30_000, 10);
    await publishEvent(em(), { topic, type: 'during', payload: {} });
    const seen = await until(2);
    stop();
    expect(seen.map((e) => e.type)).toEqual(['before', 'during']);
    expect(ctx.events.connected).toBe(true);
  });

  it('publishes inside the caller\'s transaction: a rollback stores and delivers nothing', async () => {
    const topic = `test:${randomUUID()}`;
    const { seen, until, stop } = collect(ctx, topic);
    await expect(
      em().transactional(async (tx) => {
        await publishEvent(tx, { topic, type: 'rolled-back', payload: {} });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    await publishEvent(em(), { topic, type: 'marker', payload: {} });
    await until(1);
    stop();
    expect(seen.map((e) => e.type)).toEqual(['marker']);
    expect((await ctx.sql<{ n: number }>('select count(*)::int as n from events where topic = ?', [topic]))[0]!.n).toBe(1);
  });

  it('publishes from as many transactions at once as the pool has connections', async () => {
    // A publish that took a second pooled connection left every transaction waiting for one.
    const small = await initOrm({ DATABASE_URL: ctx.config.DATABASE_URL, DATABASE_POOL_MAX: 2 });
    try {
      const topic = `test:${randomUUID()}`;
      await Promise.all([1, 2, 3, 4].map((i) => small.em.fork().transactional((tx) => publishEvent(tx, { topic, type: 'n', payload: { i } }))));
      expect((await ctx.sql<{ n: number }>('select count(*)::int as n from events where topic = ?', [topic]))[0]!.n).toBe(4);
    } finally {
      await small.close();
    }
  });

  it('returns stored history for a topic after an id', async () => {
    const topic = `test:${randomUUID()}`;
    const first = await publishEvent(em(), { topic, type: 'a', payload: {} });
    await publishEvent(em(), { topic, type: 'b', payload: {} });
    await publishEvent(em(), { topic: `${topic}:other`, type: 'c', payload: {} });
    const history = await ctx.events.history([topic], first);
    expect(history.map((e) => e.type)).toEqual(['b']);
  });
});
