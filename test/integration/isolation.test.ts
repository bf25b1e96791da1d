import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type Koa from 'koa';
import { createApp } from '../../src/http/app';
import { UserSchema } from '../../src/db/entities';
import { createTestContext, type TestContext } from '../support/context';
import { bearer, createSuperadmin, registerTenant, type Tenant } from '../support/identity';

type Actor = 'admin' | 'agent' | 'superadmin';
type Op = { method: 'get' | 'patch' | 'put' | 'delete'; path: string; body?: Record<string, unknown> };

/**
 * Two tenants × three roles × read and write on every resource that exists: another tenant's
 * record is a 404 (never a 403 that would confirm it exists), a missing role is a 403, and a
 * refused write changes nothing.
 */
describe('tenant isolation matrix', () => {
  let ctx: TestContext;
  let app: Koa;
  let a: Tenant;
  let b: Tenant;
  let root: { id: string; token: string };
  const keys: Record<'a' | 'b', { id: string; key: string }> = {} as never;

  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000, RATE_LIMIT_PER_MINUTE: 100_000 });
    app = createApp(ctx);
    [a, b] = [await registerTenant(app, 'A'), await registerTenant(app, 'B')];
    root = await createSuperadmin(ctx, app);
    for (const [name, tenant] of [['a', a], ['b', b]] as const) {
      const res = await request(app.callback()).post('/api/v1/api-keys').set(bearer(tenant.admin.token)).send({ name: `${name}-key` });
      keys[name] = { id: res.body.id, key: res.body.key };
    }
  });
  afterAll(() => ctx.close());

  const tokenOf = (actor: Actor) => (actor === 'superadmin' ? root.token : a[actor].token);

  /** Resource → how to read and write tenant X's instance of it. */
  const resources: Record<string, { read: (t: Tenant, k: 'a' | 'b') => Op; write: (t: Tenant, k: 'a' | 'b') => Op }> = {
    users: {
      read: (t) => ({ method: 'get', path: `/api/broker/users/${t.agent.id}` }),
      write: (t) => ({ method: 'patch', path: `/api/broker/users/${t.agent.id}`, body: { name: `renamed-${randomUUID()}` } }),
    },
    config: {
      read: (t) => ({ method: 'get', path: `/api/broker/config?broker_id=${t.brokerId}` }),
      write: (t) => ({ method: 'put', path: '/api/broker/config', body: { broker_id: t.brokerId, tone: `tone-${randomUUID().slice(0, 8)}` } }),
    },
    'api-keys': {
      read: () => ({ method: 'get', path: '/api/v1/api-keys' }),
      write: (_t, k) => ({ method: 'delete', path: `/api/v1/api-keys/${keys[k].id}` }),
    },
    brokers: {
      read: (t) => ({ method: 'get', path: `/api/brokers/${t.brokerId}` }),
      write: (t) => ({ method: 'patch', path: `/api/brokers/${t.brokerId}`, body: { name: `broker-${randomUUID().slice(0, 8)}` } }),
    },
  };

  /** Expected status for an actor of tenant A (or the SUPERADMIN) on tenant `whose`'s resource. */
  function expected(resource: string, actor: Actor, whose: 'a' | 'b', op: 'read' | 'write'): number {
    if (resource === 'brokers') return actor === 'superadmin' ? 200 : 403;
    if (actor === 'agent') return 403;
    if (actor === 'superadmin') return op === 'write' && resource === 'api-keys' ? 204 : 200;
    if (whose === 'b' && !(resource === 'api-keys' && op === 'read')) return 404;
    return op === 'write' && resource === 'api-keys' ? 204 : 200;
  }

  const cases: Array<[string, Actor, 'a' | 'b', 'read' | 'write']> = [];
  for (const resource of Object.keys(resources))
    for (const actor of ['admin', 'agent', 'superadmin'] as Actor[])
      for (const whose of ['a', 'b'] as const)
        for (const op of ['read', 'write'] as const)
          // Deleting a key is final: only the refused cross-tenant attempts and the last allowed one run.
          if (!(resource === 'api-keys' && op === 'write' && expected(resource, actor, whose, op) === 204 && actor !== 'superadmin')) cases.push([resource, actor, whose, op]);

  it.each(cases)('%s: %s of tenant A → tenant %s, %s', async (resource, actor, whose, op) => {
    const target = whose === 'a' ? a : b;
    const call = resources[resource]![op](target, whose);
    const before = await snapshot(whose);
    const res = await request(app.callback())[call.method](call.path).set(bearer(tokenOf(actor))).send(call.body);
    const want = expected(resource, actor, whose, op);
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: want, code: want >= 400 ? { 403: 'forbidden', 404: 'not_found' }[want] : undefined });
    if (want >= 400) expect(await snapshot(whose)).toEqual(before);
    if (resource === 'api-keys' && op === 'read' && want === 200 && actor === 'admin') {
      expect(res.body.data.map((k: { broker_id: string }) => k.broker_id)).toEqual([a.brokerId]);
    }
  });

  it("keeps another tenant's API key working after a refused revoke", async () => {
    const fresh = await request(app.callback()).post('/api/v1/api-keys').set(bearer(b.admin.token)).send({ name: 'fresh' });
    const res = await request(app.callback()).delete(`/api/v1/api-keys/${fresh.body.id}`).set(bearer(a.admin.token));
    expect(res.status).toBe(404);
    expect((await request(app.callback()).get('/auth/me').set('X-API-Key', fresh.body.key)).status).toBe(200);
  });

  it('cannot be bypassed: a tenant-owned query with no tenant in scope fails instead of reading all rows', async () => {
    await expect(ctx.orm.em.fork().find(UserSchema, {})).rejects.toThrow(/tenant/);
  });

  /** What a refused request must leave untouched, read with the filter off. */
  async function snapshot(whose: 'a' | 'b') {
    const t = whose === 'a' ? a : b;
    const em = ctx.orm.em.fork();
    const rows = await em.getConnection().execute(
      `select (select name from users where id = ?) as agent_name,
              (select version from tenant_configs where tenant_id = ?) as config_version,
              (select count(*)::int from api_keys where tenant_id = ? and revoked_at is null) as live_keys,
              (select name from tenants where id = ?) as broker_name`,
      [t.agent.id, t.brokerId, t.brokerId, t.brokerId],
    );
    return rows[0];
  }
});
