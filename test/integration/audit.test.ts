import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type Koa from 'koa';
import { createApp } from '../../src/http/app';
import { createTestContext, type TestContext } from '../support/context';
import { bearer, createSuperadmin, PASSWORD, registerTenant, type Tenant } from '../support/identity';

describe('audit log', () => {
  let ctx: TestContext;
  let app: Koa;
  let a: Tenant;
  let b: Tenant;
  const http = () => request(app.callback());

  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000 });
    app = createApp(ctx);
    [a, b] = [await registerTenant(app), await registerTenant(app)];
  });
  afterAll(() => ctx.close());

  it('records who did what, on which record, with the request id and the outcome', async () => {
    const email = `audited-${randomUUID()}@example.com`;
    const created = await http().post('/api/broker/users').set(bearer(a.admin.token)).set('X-Request-Id', `req-${randomUUID()}`).send({ email, password: PASSWORD, name: 'Audited' });
    expect(created.status).toBe(201);
    const refused = await http().post('/api/broker/users').set(bearer(a.admin.token)).send({ email: 'bad', password: PASSWORD, name: 'X' });
    expect(refused.status).toBe(422);

    const log = await http().get('/api/v1/admin/audit-logs?limit=200').set(bearer(a.admin.token));
    expect(log.status).toBe(200);
    const success = log.body.data.find((r: { request_id: string }) => r.request_id === created.headers['x-request-id']);
    expect(success).toMatchObject({
      broker_id: a.brokerId,
      actor_type: 'user',
      actor_id: a.admin.id,
      action: 'users.create',
      resource: 'users',
      resource_id: created.body.id,
      method: 'POST',
      status: 201,
      outcome: 'success',
    });
    const failure = log.body.data.find((r: { request_id: string }) => r.request_id === refused.headers['x-request-id']);
    expect(failure).toMatchObject({ actor_id: a.admin.id, status: 422, outcome: 'failure' });
  });

  it('shows an ADMIN only its own tenant and a SUPERADMIN every tenant', async () => {
    await http().put('/api/broker/config').set(bearer(b.admin.token)).send({ tone: 'formal' }).expect(200);
    const mine = await http().get('/api/v1/admin/audit-logs?limit=200').set(bearer(a.admin.token));
    expect(new Set(mine.body.data.map((r: { broker_id: string }) => r.broker_id))).toEqual(new Set([a.brokerId]));
    const root = await createSuperadmin(ctx, app);
    const all = await http().get(`/api/v1/admin/audit-logs?broker_id=${b.brokerId}&action=config.update`).set(bearer(root.token));
    expect(all.body.data.length).toBeGreaterThanOrEqual(1);
    expect(all.body.data.every((r: { broker_id: string; action: string }) => r.broker_id === b.brokerId && r.action === 'config.update')).toBe(true);
  });

  it('filters and pages', async () => {
    const page = await http().get('/api/v1/admin/audit-logs?limit=1&skip=0').set(bearer(a.admin.token));
    expect(page.body.data).toHaveLength(1);
    expect(page.body.total).toBeGreaterThan(1);
    const failures = await http().get('/api/v1/admin/audit-logs?outcome=failure').set(bearer(a.admin.token));
    expect(failures.body.data.every((r: { outcome: string }) => r.outcome === 'failure')).toBe(true);
    expect((await http().get('/api/v1/admin/audit-logs?limit=500').set(bearer(a.admin.token))).status).toBe(422);
    expect((await http().get('/api/v1/admin/audit-logs?from=yesterday').set(bearer(a.admin.token))).status).toBe(422);
    // Year 0 passed ISO validation and Postgres refused it (500); a range that ends before it starts is an error too.
    for (const query of ['to=0000-06-01T00:00:00Z', 'from=2026-12-01T00:00:00Z&to=2026-01-01T00:00:00Z']) {
      const res = await http().get(`/api/v1/admin/audit-logs?${query}`).set(bearer(a.admin.token));
      expect({ query, status: res.status }).toEqual({ query, status: 422 });
    }
    expect((await http().get('/api/v1/admin/audit-logs?from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z').set(bearer(a.admin.token))).status).toBe(200);
  });

  it('never stores a password, token or key', async () => {
    const key = await http().post('/api/v1/api-keys').set(bearer(a.admin.token)).send({ name: 'k' });
    const login = await http().post('/auth/login').send({ email: a.admin.email, password: PASSWORD });
    await http().post('/api/v1/auth/refresh').send({ refresh_token: login.body.refresh_token });
    const rows = await ctx.orm.em.fork().getConnection().execute<Array<{ j: string }>>('select row_to_json(a)::text as j from audit_logs a');
    const dump = rows.map((r) => r.j).join('\n');
    for (const secret of [PASSWORD, key.body.key, login.body.refresh_token, login.body.access_token]) expect(dump).not.toContain(secret);
    expect(dump).toContain('api_keys.create');
    expect(dump).toContain('auth.refresh');
  });
});
