import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type Koa from 'koa';
import { createApp } from '../../src/http/app';
import { createTestContext, type TestContext } from '../support/context';
import { bearer, registerTenant, type Tenant } from '../support/identity';

describe('leads', () => {
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;
  let other: Tenant;
  const http = () => request(app.callback());
  const phone = () => `+5691${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  const create = (token: string, body: Record<string, unknown>) => http().post('/api/v1/leads').set(bearer(token)).send(body);
  const leadCount = async (tenant: Tenant) =>
    Number((await ctx.orm.em.fork().getConnection().execute('select count(*)::int as n from customers where tenant_id = ?', [tenant.brokerId]))[0].n);

  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000, RATE_LIMIT_PER_MINUTE: 100_000 });
    app = createApp(ctx);
    [t, other] = [await registerTenant(app), await registerTenant(app)];
  });
  afterAll(() => ctx.close());

  describe('create and read', () => {
    it('normalises the phone to E.164 and the email to lower case, and scores the lead', async () => {
      const res = await create(t.admin.token, { phone: '9 8765 4321', name: 'María', email: 'Maria@Email.COM', tags: ['activo'] });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ phone: '+56987654321', email: 'maria@email.com', name: 'María', tags: ['activo'], status: 'cold', pipeline_stage: 'perfilamiento', source: 'manual' });
      expect(res.body.lead_score).toBeGreaterThan(0);
      const events = await ctx.orm.em.fork().getConnection().execute<Array<{ type: string }>>("select type from events where topic = ? and payload->>'lead_id' = ?", [`tenant:${t.brokerId}`, res.body.id]);
      expect(events.map((e) => e.type)).toEqual(['lead.created']);
    });

    it('finds a duplicate written differently and answers 409', async () => {
      await create(t.admin.token, { phone: '+56 9 1111 2222', name: 'A' }).expect(201);
      const before = await leadCount(t);
      const dup = await create(t.admin.token, { phone: '911112222', name: 'B' });
      expect(dup.status).toBe(409);
      expect(dup.body.error.code).toBe('conflict');
      const email = `Dup-${randomUUID()}@x.com`;
      await create(t.admin.token, { email }).expect(201);
      expect((await create(t.admin.token, { email: email.toUpperCase() })).status).toBe(409);
      expect(await leadCount(t)).toBe(before + 1);
    });

    it.each([
      [{ name: 'no contact' }, 'phone'],
      [{ phone: 'not a phone' }, 'phone'],
      [{ phone: '123' }, 'phone'],
      [{ email: 'nope' }, 'email'],
      [{ phone: '+56911112229', colour: 'red' }, ''],
      [{ phone: '+56911112229', tags: 'activo' }, 'tags'],
    ])('rejects %j with 422 on %s', async (body, path) => {
      const before = await leadCount(t);
      const res = await create(t.admin.token, body);
      expect(res.status).toBe(422);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
      expect(await leadCount(t)).toBe(before);
    });

    it('shows the last 10 activities, newest first', async () => {
      const lead = (await create(t.admin.token, { phone: phone(), name: 'Busy' })).body;
      for (let i = 0; i < 12; i++) await http().put(`/api/v1/leads/${lead.id}`).set(bearer(t.admin.token)).send({ notes: `note ${i}` }).expect(200);
      const detail = await http().get(`/api/v1/leads/${lead.id}`).set(bearer(t.admin.token));
      expect(detail.body.recent_activities).toHaveLength(10);
      const ids = detail.body.recent_activities.map((a: { id: number }) => a.id);
      expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    });
  });

  describe('list', () => {
    let tenant: Tenant;
    beforeAll(async () => {
      tenant = await registerTenant(app);
      await create(tenant.admin.token, { phone: '+56922223333', name: 'Carla Pérez', email: 'carla@example.com' });
      await create(tenant.admin.token, { phone: '+56933334444', name: 'Diego', email: 'diego@example.com', budget: '5000 UF', location: 'Las Condes', property_type: 'departamento', timeline: '3 meses' });
      await create(tenant.admin.token, { email: 'solo-email@example.com' });
    });
    const list = (q: string) => http().get(`/api/v1/leads${q}`).set(bearer(tenant.admin.token));

    it('answers in seed 001 shape with paging', async () => {
      const res = await list('?limit=2');
      expect(res.body).toMatchObject({ total: 3, skip: 0, limit: 2 });
      expect(res.body.data).toHaveLength(2);
      expect((await list('?skip=2&limit=2')).body.data).toHaveLength(1);
    });

    it('searches name, email and phone however it is written', async () => {
      expect((await list('?search=carla')).body.data.map((l: { name: string }) => l.name)).toEqual(['Carla Pérez']);
      expect((await list('?search=DIEGO@example')).body.total).toBe(1);
      expect((await list('?search=9%203333%204444')).body.data[0].name).toBe('Diego');
      expect((await list('?search=%25')).body.total).toBe(0);
    });

    it('filters by status, stage and score range', async () => {
      const hot = await list('?min_score=40');
      expect(hot.body.data.map((l: { name: string }) => l.name)).toEqual(['Diego']);
      expect((await list('?pipeline_stage=calificacion_financiera')).body.total).toBe(1);
      expect((await list('?status=cold')).body.total).toBe(2);
    });

    it.each(['?limit=201', '?limit=0', '?skip=-1', '?status=tibio', '?pipeline_stage=nowhere', '?min_score=90&max_score=10', '?min_score=abc'])('rejects %s with 422', async (q) => {
      const res = await list(q);
      expect(res.status).toBe(422);
      expect(res.body.status).toBe('error');
    });
  });

  describe('agents, assignment and stages', () => {
    it('shows an AGENT only the leads assigned to it', async () => {
      const mine = (await create(t.admin.token, { phone: phone(), name: 'Mine' })).body;
      const notMine = (await create(t.admin.token, { phone: phone(), name: 'Not mine' })).body;
      await http().put(`/api/v1/leads/${mine.id}/assign`).set(bearer(t.admin.token)).send({ agent_id: t.agent.id }).expect(200);
      const seen = await http().get('/api/v1/leads?limit=200').set(bearer(t.agent.token));
      expect(seen.body.data.map((l: { id: string }) => l.id)).toEqual([mine.id]);
      expect((await http().get(`/api/v1/leads/${notMine.id}`).set(bearer(t.agent.token))).status).toBe(404);
      expect((await http().put(`/api/v1/leads/${notMine.id}/assign`).set(bearer(t.agent.token)).send({ agent_id: t.agent.id })).status).toBe(403);
    });

    it('refuses an agent of another broker and changes nothing', async () => {
      const lead = (await create(t.admin.token, { phone: phone() })).body;
      const res = await http().put(`/api/v1/leads/${lead.id}/assign`).set(bearer(t.admin.token)).send({ agent_id: other.agent.id });
      expect(res.status).toBe(422);
      expect((await http().get(`/api/v1/leads/${lead.id}`).set(bearer(t.admin.token))).body.assigned_agent_id).toBeNull();
    });

    it('auto-advances with the facts, but respects a stage a person set', async () => {
      const lead = (await create(t.admin.token, { phone: phone() })).body;
      expect(lead.pipeline_stage).toBe('entrada');
      const named = await http().put(`/api/v1/leads/${lead.id}`).set(bearer(t.admin.token)).send({ name: 'Eva', budget: '3000 UF' });
      expect(named.body.pipeline_stage).toBe('calificacion_financiera');
      await http().put(`/api/v1/leads/${lead.id}/pipeline`).set(bearer(t.admin.token)).send({ stage: 'perfilamiento' }).expect(200);
      const recalculated = await http().post(`/api/v1/leads/${lead.id}/recalculate`).set(bearer(t.admin.token));
      expect(recalculated.body).toMatchObject({ lead_id: lead.id, pipeline_stage: 'perfilamiento', calificacion: expect.any(String), score: expect.any(Number) });
      expect(recalculated.body.breakdown.find((b: { factor: string }) => b.factor === 'has_budget')).toMatchObject({ earned: 1 });
      const won = await http().put(`/api/v1/leads/${lead.id}/pipeline`).set(bearer(t.admin.token)).send({ stage: 'ganado' });
      expect(won.body).toMatchObject({ pipeline_stage: 'ganado', status: 'converted' });
      expect((await http().put(`/api/v1/leads/${lead.id}/pipeline`).set(bearer(t.admin.token)).send({ stage: 'cerrado' })).status).toBe(422);
    });

    it("answers another broker's lead with 404 and leaves it alone", async () => {
      const theirs = (await create(other.admin.token, { phone: phone(), name: 'Theirs' })).body;
      for (const [method, body] of [['get', undefined], ['put', { name: 'x' }], ['delete', undefined]] as const) {
        const res = await http()[method](`/api/v1/leads/${theirs.id}`).set(bearer(t.admin.token)).send(body);
        expect(res.status).toBe(404);
      }
      expect((await http().get(`/api/v1/leads/${theirs.id}`).set(bearer(other.admin.token))).body.name).toBe('Theirs');
    });

    it('deletes a lead with its activities', async () => {
      const lead = (await create(t.admin.token, { phone: phone() })).body;
      await http().delete(`/api/v1/leads/${lead.id}`).set(bearer(t.admin.token)).expect(204);
      expect((await http().get(`/api/v1/leads/${lead.id}`).set(bearer(t.admin.token))).status).toBe(404);
      const rows = await ctx.orm.em.fork().getConnection().execute('select count(*)::int as n from lead_activities where customer_id = ?', [lead.id]);
      expect(rows[0].n).toBe(0);
    });
  });

  describe('bulk import', () => {
    let tenant: Tenant;
    beforeAll(async () => {
      tenant = await registerTenant(app);
      await create(tenant.admin.token, { phone: '+56944445555', name: 'Existing' }).expect(201);
    });
    const upload = (content: string | Buffer, filename = 'leads.csv') =>
      http().post('/api/v1/leads/bulk-import').set(bearer(tenant.admin.token)).attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), filename);

    it('imports valid rows and reports duplicates and invalid rows by row number', async () => {
      const csv = [
        'phone,name,email,tags',
        '+56955556666,Ana,ana@example.com,"vip,norte"',
        '9 4444 5555,Existing again,,', // duplicate of an existing lead
        '+56955556666,Ana twice,,', // duplicate within the file
        'abc,Bad phone,,',
        ',No contact,,',
        '+56966667777,Bad email,not-an-email,',
        ',Only email,Only@Example.com,',
        '+56966667778,Nul\u0000Name,nul@example.com,', // Postgres cannot store NUL (this was a 500)
        '+56966667779,Name,nul\u0000@example.com,',
      ].join('\n');
      const res = await upload(csv);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        imported: 2,
        duplicates: 2,
        invalid: 5,
        invalid_rows: [
          { row: 5, reason: expect.stringContaining('phone') },
          { row: 6, reason: expect.stringContaining('phone or an email') },
          { row: 7, reason: expect.stringContaining('email') },
          { row: 9, reason: expect.stringContaining('NUL') },
          { row: 10, reason: expect.stringContaining('NUL') },
        ],
      });
      const list = await http().get('/api/v1/leads?search=ana@example.com').set(bearer(tenant.admin.token));
      expect(list.body.data[0]).toMatchObject({ tags: ['vip', 'norte'], source: 'import' });
    });

    it.each([
      ['wrong columns', 'telefono,nombre\n+56911110000,X\n', 'leads.csv', 422],
      ['broken quoting', 'phone,name\n+56977770001,ok\n+56977770002,"unterminated\n+56977770003,late\n', 'leads.csv', 422],
      // The quote runs to the end of the file: the first 1,000 rows were written before it showed.
      ['broken quoting after the first batch', ['phone,name', ...Array.from({ length: 1500 }, (_, i) => `+56961${String(i).padStart(6, '0')},Lead ${i}`), '+56977770009,"unterminated', ''].join('\n'), 'leads.csv', 422],
      ['not UTF-8', Buffer.concat([Buffer.from('phone,name\n+56977770004,Jos'), Buffer.from([0xe9]), Buffer.from('\n')]), 'leads.csv', 422],
      ['not a CSV', 'phone,name\n+56977770005,x\n', 'leads.xlsx', 415],
      ['no bytes at all', '', 'leads.csv', 422],
    ])('rejects a file with %s whole, importing nothing', async (_label, content, filename, status) => {
      const before = await leadCount(tenant);
      const res = await upload(content, filename);
      expect(res.status).toBe(status);
      expect(res.body.status).toBe('error');
      expect(await leadCount(tenant)).toBe(before);
    });

    it('streams a large file', async () => {
      const rows = Array.from({ length: 5000 }, (_, i) => `+5698${String(i).padStart(7, '0')},Lead ${i},lead${i}@bulk.example.com,`);
      const res = await upload(['phone,name,email,tags', ...rows].join('\n'));
      expect(res.body).toMatchObject({ imported: 5000, duplicates: 0, invalid: 0 });
    });

    it('needs a file, and an ADMIN', async () => {
      expect((await http().post('/api/v1/leads/bulk-import').set(bearer(tenant.admin.token)).field('x', 'y')).status).toBe(422);
      const res = await http().post('/api/v1/leads/bulk-import').set(bearer(tenant.agent.token)).attach('file', Buffer.from('phone\n+56900000000\n'), 'a.csv');
      expect(res.status).toBe(403);
    });
  });
});
