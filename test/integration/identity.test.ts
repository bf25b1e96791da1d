import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type Koa from 'koa';
import { SignJWT } from 'jose';
import { createApp } from '../../src/http/app';
import { createTestContext, type TestContext } from '../support/context';
import { bearer, createSuperadmin, PASSWORD, registerTenant, type Tenant } from '../support/identity';

describe('identity and tenancy over HTTP', () => {
  let ctx: TestContext;
  let app: Koa;
  const http = () => request(app.callback());
  const count = async (table: string) => Number((await ctx.orm.em.fork().getConnection().execute(`select count(*)::int as n from ${table}`))[0].n);

  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000 });
    app = createApp(ctx);
  });
  afterAll(() => ctx.close());

  describe('registration', () => {
    it('creates the tenant, its ADMIN and the default configuration in one go', async () => {
      const email = `new-${randomUUID()}@Example.com`;
      const res = await http().post('/auth/register').send({ email, password: PASSWORD, broker_name: 'Inmobiliaria Activa' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 900, refresh_token: expect.stringMatching(/^rt_/) });
      const me = await http().get('/auth/me').set(bearer(res.body.access_token));
      expect(me.body).toEqual({ id: expect.any(String), email: email.toLowerCase(), name: 'Inmobiliaria Activa', role: 'ADMIN', broker_id: expect.any(String), is_active: true, created_at: expect.any(String) });
      const config = await http().get('/api/broker/config').set(bearer(res.body.access_token));
      expect(config.body).toMatchObject({ broker_id: me.body.broker_id, version: 1, assistant_name: 'Sofía', prompt_sections: { identity: expect.stringContaining('Inmobiliaria Activa') } });
      expect(config.body.sla_policies).toHaveLength(4);
      expect(Object.keys(config.body.lead_scoring_weights).length).toBeGreaterThan(3);
    });

    it('refuses a registered email with 400, whatever its case', async () => {
      const email = `dup-${randomUUID()}@example.com`;
      await http().post('/auth/register').send({ email, password: PASSWORD, broker_name: 'A' }).expect(200);
      const second = `B ${randomUUID()}`;
      const res = await http().post('/auth/register').send({ email: email.toUpperCase(), password: PASSWORD, broker_name: second });
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({ code: 'email_taken', message: 'Email already registered' });
      expect((await ctx.orm.em.fork().getConnection().execute('select count(*)::int as n from tenants where name = ?', [second]))[0].n).toBe(0);
    });

    it('answers the same email registered several times at once with one account and 400s', async () => {
      const email = `race-${randomUUID()}@example.com`;
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => http().post('/auth/register').send({ email, password: PASSWORD, broker_name: `Race ${i} ${randomUUID()}` })));
      expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
      // Those that passed the check together met the unique index (was 409 conflict).
      for (const r of answers.filter((a) => a.status !== 200)) expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 400, code: 'email_taken' });
    });

    it.each([
      [{ password: 'short1!' }, 'password'],
      [{ password: 'longenough!' }, 'password'],
      [{ password: 'longenough1' }, 'password'],
      [{ email: 'not-an-email' }, 'email'],
      [{ email: "' OR 1=1 --" }, 'email'],
      [{ broker_name: '' }, 'broker_name'],
      [{ broker_name: 42 }, 'broker_name'],
      [{ role: 'SUPERADMIN' }, ''],
    ])('rejects %j with 422 naming %s and writes nothing', async (override, field) => {
      const email = `x-${randomUUID()}@example.com`;
      const brokerName = `X ${randomUUID()}`;
      const res = await http().post('/auth/register').send({ email, password: PASSWORD, broker_name: brokerName, ...override });
      expect(res.status).toBe(422);
      expect(res.body.status).toBe('error');
      expect(res.body.error.code).toBe('validation_error');
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
      // Other suites write concurrently, so look for this attempt's rows rather than totals.
      const rows = await ctx.orm.em.fork().getConnection().execute<Array<{ n: number }>>(
        'select (select count(*) from users where email = ?)::int + (select count(*) from tenants where name = ?)::int as n',
        [email, brokerName],
      );
      expect(rows[0]!.n).toBe(0);
    });
  });

  describe('sign-in and tokens', () => {
    let tenant: Tenant;
    beforeAll(async () => {
      tenant = await registerTenant(app);
    });

    it('signs in on both documented paths and refuses bad credentials alike', async () => {
      for (const path of ['/auth/login', '/api/v1/auth/login']) {
        const ok = await http().post(path).send({ email: tenant.admin.email, password: PASSWORD });
        expect(ok.status).toBe(200);
        expect(ok.body.token_type).toBe('bearer');
      }
      const wrong = await http().post('/auth/login').send({ email: tenant.admin.email, password: 'Wrong123!' });
      const unknown = await http().post('/auth/login').send({ email: `nobody-${randomUUID()}@example.com`, password: PASSWORD });
      expect([wrong.status, unknown.status]).toEqual([401, 401]);
      expect(wrong.body.error).toEqual(unknown.body.error);
    });

    it('rotates the refresh token; replaying a rotated one revokes the session', async () => {
      const login = await http().post('/api/v1/auth/login').send({ email: tenant.admin.email, password: PASSWORD });
      const first = login.body.refresh_token;
      const rotated = await http().post('/api/v1/auth/refresh').send({ refresh_token: first });
      expect(rotated.status).toBe(200);
      expect(rotated.body.refresh_token).not.toBe(first);
      await http().get('/auth/me').set(bearer(rotated.body.access_token)).expect(200);

      const replay = await http().post('/api/v1/auth/refresh').send({ refresh_token: first });
      expect(replay.status).toBe(401);
      expect(replay.body.error.code).toBe('refresh_token_reused');
      // The whole session is gone: the newest refresh token and the access token with it.
      expect((await http().post('/api/v1/auth/refresh').send({ refresh_token: rotated.body.refresh_token })).status).toBe(401);
      expect((await http().get('/auth/me').set(bearer(rotated.body.access_token))).status).toBe(401);
    });

    it('logs out: the access and refresh tokens of that session stop working', async () => {
      const login = await http().post('/api/v1/auth/login').send({ email: tenant.admin.email, password: PASSWORD });
      await http().post('/api/v1/auth/logout').set(bearer(login.body.access_token)).expect(204);
      expect((await http().get('/auth/me').set(bearer(login.body.access_token))).status).toBe(401);
      expect((await http().post('/api/v1/auth/refresh').send({ refresh_token: login.body.refresh_token })).status).toBe(401);
      // Other sessions of the same user are untouched.
      await http().get('/auth/me').set(bearer(tenant.admin.token)).expect(200);
    });

    it('rejects tampered, unsigned, foreign-key, expired and malformed tokens', async () => {
      const [header, payload, signature] = tenant.admin.token.split('.');
      const flipped = `${header}.${payload}.${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, role: 'SUPERADMIN', tid: null })).toString('base64url')}.`;
      const escalated = `${header}.${Buffer.from(JSON.stringify({ ...claims, role: 'SUPERADMIN' })).toString('base64url')}.${signature}`;
      const otherKey = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(40)));
      const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(ctx.config.JWT_SECRET));
      // Signed with the right key but carrying ids that are not ids: refused before any query (was 422).
      const malformed = await new SignJWT({ ...claims, sub: 'x', sid: 'y' })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(ctx.config.JWT_SECRET));
      for (const token of [flipped, none, escalated, otherKey, malformed, 'abc', '']) {
        const res = await http().get('/auth/me').set('Authorization', `Bearer ${token}`);
        expect(res.status).toBe(401);
        expect(res.body.status).toBe('error');
      }
      const res = await http().get('/auth/me').set(bearer(expired));
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('token_expired');
      expect((await http().get('/auth/me').set('Authorization', 'Basic dXNlcjpwYXNz')).status).toBe(401);
      expect((await http().get('/auth/me')).status).toBe(401);
    });

    it("rejects the token of a user who no longer exists", async () => {
      const other = await registerTenant(app);
      await ctx.orm.em.fork().getConnection().execute('delete from users where id = ?', [other.agent.id]);
      expect((await http().get('/auth/me').set(bearer(other.agent.token))).status).toBe(401);
    });
  });

  describe('roles', () => {
    let a: Tenant;
    let root: { id: string; token: string };
    beforeAll(async () => {
      a = await registerTenant(app);
      root = await createSuperadmin(ctx, app);
    });

    it('keeps AGENTs out of the admin areas and ADMINs out of the super-admin area', async () => {
      expect((await http().get('/api/broker/users').set(bearer(a.agent.token))).status).toBe(403);
      expect((await http().get('/api/broker/config').set(bearer(a.agent.token))).status).toBe(403);
      expect((await http().get('/api/v1/api-keys').set(bearer(a.agent.token))).status).toBe(403);
      expect((await http().get('/api/v1/admin/audit-logs').set(bearer(a.agent.token))).status).toBe(403);
      expect((await http().get('/api/brokers').set(bearer(a.admin.token))).status).toBe(403);
      expect((await http().get('/api/brokers')).status).toBe(401);
    });

    it('lets a SUPERADMIN manage brokers; deactivating one ends its staff sessions at once', async () => {
      const list = await http().get('/api/brokers?limit=200').set(bearer(root.token));
      expect(list.status).toBe(200);
      expect(list.body.data.map((b: { id: string }) => b.id)).toContain(a.brokerId);
      const created = await http().post('/api/brokers').set(bearer(root.token)).send({ name: 'Nueva' });
      expect(created.status).toBe(201);
      const config = await http().get(`/api/broker/config?broker_id=${created.body.id}`).set(bearer(root.token));
      expect(config.body.assistant_name).toBe('Sofía');
      const renamed = await http().patch(`/api/brokers/${created.body.id}`).set(bearer(root.token)).send({ name: 'Renombrada' });
      expect(renamed.body.name).toBe('Renombrada');

      const victim = await registerTenant(app);
      await http().delete(`/api/brokers/${victim.brokerId}`).set(bearer(root.token)).expect(204);
      expect((await http().get('/auth/me').set(bearer(victim.admin.token))).status).toBe(401);
      expect((await http().post('/auth/login').send({ email: victim.admin.email, password: PASSWORD })).status).toBe(401);
    });

    it('deactivating a user stops their tokens at once, and admins cannot lock themselves out', async () => {
      const t = await registerTenant(app);
      const res = await http().post(`/api/broker/users/${t.agent.id}/deactivate`).set(bearer(t.admin.token));
      expect(res.status).toBe(200);
      expect(res.body.is_active).toBe(false);
      expect((await http().get('/auth/me').set(bearer(t.agent.token))).status).toBe(401);
      expect((await http().post('/auth/login').send({ email: t.agent.email, password: PASSWORD })).status).toBe(401);
      expect((await http().post('/api/v1/auth/refresh').send({ refresh_token: t.agent.refresh })).status).toBe(401);
      expect((await http().patch(`/api/broker/users/${t.admin.id}`).set(bearer(t.admin.token)).send({ is_active: false })).status).toBe(403);
    });

    it('versions every configuration change and rejects a bad one whole', async () => {
      const t = await registerTenant(app);
      const put = await http().put('/api/broker/config').set(bearer(t.admin.token)).send({ persona: 'Sofía, directa y breve.', prompt_sections: { style: 'Breve.' } });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ version: 2, persona: 'Sofía, directa y breve.', prompt_sections: { style: 'Breve.', identity: expect.any(String) } });
      const bad = await http().put('/api/broker/config').set(bearer(t.admin.token)).send({ persona: 'changed', lead_scoring_weights: { has_budget: 500 } });
      expect(bad.status).toBe(422);
      const versions = await http().get('/api/broker/config/versions').set(bearer(t.admin.token));
      expect(versions.body.data.map((v: { version: number; persona: string }) => [v.version, v.persona])).toEqual([
        [2, 'Sofía, directa y breve.'],
        [1, expect.stringContaining('Sofía')],
      ]);
      expect(versions.body.data[0]).toMatchObject({ assistant_name: expect.any(String), prompt_sections: { style: 'Breve.' }, lead_scoring_weights: expect.any(Object), sla_policies: expect.any(Object) });
      expect(versions.body.data[0]).not.toHaveProperty('promptSections');
      expect((await http().put('/api/broker/config').set(bearer(t.admin.token)).send({ unknown_field: 1 })).status).toBe(422);
    });

    it('numbers configuration changes sent at once one after another', async () => {
      const t = await registerTenant(app);
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => http().put('/api/broker/config').set(bearer(t.admin.token)).send({ tone: `tone ${i}` })));
      // Each waited for the one before instead of taking its version number (was 409 for most).
      expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
      expect(answers.map((r) => r.body.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
      const versions = await http().get('/api/broker/config/versions').set(bearer(t.admin.token));
      expect(versions.body.total).toBe(9);
    });

    it('stores SQL-looking text as text', async () => {
      const t = await registerTenant(app);
      const name = "Robert'); DROP TABLE users; --";
      const res = await http().post('/api/broker/users').set(bearer(t.admin.token)).send({ email: `bobby-${randomUUID()}@example.com`, password: PASSWORD, name });
      expect(res.status).toBe(201);
      expect(res.body.name).toBe(name);
      expect(await count('users')).toBeGreaterThan(0);
    });
  });

  describe('API keys', () => {
    let t: Tenant;
    beforeAll(async () => {
      t = await registerTenant(app);
    });

    it('shows the secret once, lists only the prefix, authenticates, and stops on revoke', async () => {
      const created = await http().post('/api/v1/api-keys').set(bearer(t.admin.token)).send({ name: 'website', scopes: ['read'] });
      expect(created.status).toBe(201);
      const secret: string = created.body.key;
      expect(secret).toMatch(/^ck_/);
      expect(secret.startsWith(created.body.prefix)).toBe(true);
      const list = await http().get('/api/v1/api-keys').set(bearer(t.admin.token));
      expect(JSON.stringify(list.body)).not.toContain(secret);
      expect(list.body.data[0]).not.toHaveProperty('key');
      const stored = await ctx.orm.em.fork().getConnection().execute('select secret_hash from api_keys where id = ?', [created.body.id]);
      expect(stored[0].secret_hash).not.toContain(secret.slice(3));

      const me = await http().get('/auth/me').set('X-API-Key', secret);
      expect(me.body).toMatchObject({ kind: 'api_key', broker_id: t.brokerId, scopes: ['read'] });
      const write = await http().post('/api/broker/users').set('X-API-Key', secret).send({ email: `k-${randomUUID()}@example.com`, password: PASSWORD, name: 'K' });
      expect(write.status).toBe(403);

      await http().delete(`/api/v1/api-keys/${created.body.id}`).set(bearer(t.admin.token)).expect(204);
      expect((await http().get('/auth/me').set('X-API-Key', secret)).status).toBe(401);
      expect((await http().get('/auth/me').set('X-API-Key', 'ck_made_up')).status).toBe(401);
    });

    it('limits a key to its rate, with Retry-After, counted in Postgres across API processes', async () => {
      const created = await http().post('/api/v1/api-keys').set(bearer(t.admin.token)).send({ name: 'limited', scopes: ['read'], rate_limit_per_minute: 4 });
      const other = await createTestContext();
      try {
        // A second app with its own ORM pool stands in for a second API process.
        const apps = [app, createApp(other)];
        const statuses: number[] = [];
        let limited: request.Response | undefined;
        for (let i = 0; i < 6; i++) {
          const res = await request(apps[i % 2]!.callback()).get('/auth/me').set('X-API-Key', created.body.key);
          statuses.push(res.status);
          if (res.status === 429) limited ??= res;
        }
        // The fifth request is the first over the limit (unless a minute boundary fell in between).
        expect(statuses).toContain(429);
        expect(statuses.indexOf(429)).toBeLessThanOrEqual(4);
        expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(Number(limited!.headers['retry-after'])).toBeLessThanOrEqual(60);
        expect(limited!.body).toMatchObject({ status: 'error', error: { code: 'rate_limited' }, request_id: limited!.headers['x-request-id'] });
      } finally {
        await other.close();
      }
    });
  });
});

describe('hardening', () => {
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;
  const http = () => request(app.callback());
  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 1000 });
    app = createApp(ctx);
    t = await registerTenant(app);
  });
  afterAll(() => ctx.close());

  it('counts sign-in per address whatever the path spelling or credentials sent', async () => {
    for (const path of ['/auth/login', '/AUTH/LOGIN', '/auth/login/', '/api/v1/auth/refresh/']) {
      const res = await http().post(path).set(bearer(t.admin.token)).send({ email: t.admin.email, password: 'Wrong123!' });
      expect(res.headers['x-ratelimit-limit']).toBe('1000');
    }
  });

  it('refreshes even when the client still sends its stale access token', async () => {
    const res = await http().post('/api/v1/auth/refresh').set('Authorization', 'Bearer expired.garbage.token').send({ refresh_token: t.admin.refresh });
    expect(res.status).toBe(200);
  });

  it.each([
    ['/auth/register', 'post', { email: `nul-${randomUUID()}@example.com`, password: PASSWORD, broker_name: 'a\u0000b' }],
    ['/api/broker/config', 'put', { prompt_sections: { rules: 'x\ud800y' } }],
    ['/api/v1/api-keys', 'post', { name: 'k\u0000' }],
  ])('answers text Postgres cannot store with 422 (%s)', async (path, method, body) => {
    // JSON.stringify writes both as \u escapes, which JSON.parse turns back into the raw characters.
    const res = await http()[method as 'post' | 'put'](path).set(bearer(t.admin.token)).send(body);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_error');
    expect((await http().get('/api/v1/admin/audit-logs?action=%00').set(bearer(t.admin.token))).status).toBe(422);
  });

  it('records a refused request even when its path is long or odd', async () => {
    const id = 'x'.repeat(150);
    const res = await http().delete(`/api/v1/api-keys/${id}`).set(bearer(t.admin.token));
    expect(res.status).toBe(404);
    const rows = await ctx.orm.em.fork().getConnection().execute<Array<{ resource_id: string; outcome: string }>>('select resource_id, outcome from audit_logs where request_id = ?', [res.headers['x-request-id']]);
    expect(rows).toEqual([{ resource_id: 'x'.repeat(100), outcome: 'failure' }]);
  });

  it("answers 404 when a SUPERADMIN names a broker that does not exist", async () => {
    const root = await createSuperadmin(ctx, app);
    const res = await http().post('/api/v1/api-keys').set(bearer(root.token)).send({ name: 'orphan', broker_id: randomUUID() });
    expect(res.status).toBe(404);
  });
});

describe('sign-in rate limit per client address', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 3 });
  });
  afterAll(() => ctx.close());

  it('answers 429 with Retry-After once the window is used up', async () => {
    const server = createApp(ctx).callback();
    let limited: request.Response | undefined;
    for (let i = 0; i < 5 && !limited; i++) {
      const res = await request(server).post('/auth/login').send({ email: 'guess@example.com', password: `Guess${i}!` });
      if (res.status === 429) limited = res;
    }
    expect(limited?.status).toBe(429);
    expect(limited!.headers['retry-after']).toMatch(/^\d+$/);
  });
});
