import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type Koa from 'koa';
import { createApp } from '../../src/http/app';
import { createTestContext, type TestContext } from '../support/context';
import { bearer, registerTenant, type Tenant } from '../support/identity';

describe('clients, transactions and the pipeline', () => {
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;
  let other: Tenant;
  const http = () => request(app.callback());
  const phone = () => `+5697${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000, RATE_LIMIT_PER_MINUTE: 100_000 });
    app = createApp(ctx);
    [t, other] = [await registerTenant(app), await registerTenant(app)];
  });
  afterAll(() => ctx.close());

  describe('clients (the same customers as leads)', () => {
    it('creates, lists with limit/offset and patches preferences and agent', async () => {
      const created = await http().post('/api/v1/clients').set(bearer(t.admin.token)).send({ phone: phone(), name: 'Cliente Uno' });
      expect(created.status).toBe(201);
      const asLead = await http().get(`/api/v1/leads/${created.body.id}`).set(bearer(t.admin.token));
      expect(asLead.body.name).toBe('Cliente Uno');
      const patched = await http().patch(`/api/v1/clients/${created.body.id}`).set(bearer(t.admin.token)).send({ preferences: { bedrooms: 2, comuna: 'Ñuñoa' }, assigned_agent_id: t.agent.id });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ preferences: { bedrooms: 2, comuna: 'Ñuñoa' }, assigned_agent_id: t.agent.id });
      const page = await http().get('/api/v1/clients?limit=1&offset=0&search=cliente%20uno').set(bearer(t.admin.token));
      expect(page.body).toMatchObject({ total: 1, limit: 1, offset: 0 });
      expect((await http().get('/api/v1/clients?limit=500').set(bearer(t.admin.token))).status).toBe(422);
    });

    it('refuses an agent of another broker and a reassignment by an AGENT', async () => {
      const c = (await http().post('/api/v1/clients').set(bearer(t.admin.token)).send({ phone: phone() })).body;
      expect((await http().patch(`/api/v1/clients/${c.id}`).set(bearer(t.admin.token)).send({ assigned_agent_id: other.agent.id })).status).toBe(422);
      const mine = (await http().post('/api/v1/clients').set(bearer(t.agent.token)).send({ phone: phone() })).body;
      expect(mine.assigned_agent_id).toBe(t.agent.id);
      expect((await http().patch(`/api/v1/clients/${mine.id}`).set(bearer(t.agent.token)).send({ assigned_agent_id: null })).status).toBe(422);
      expect((await http().patch(`/api/v1/clients/${c.id}`).set(bearer(other.admin.token)).send({ notes: 'x' })).status).toBe(404);
    });
  });

  describe('transactions', () => {
    it('moves through the lifecycle, records history and computes commission; closing wins the client', async () => {
      const client = (await http().post('/api/v1/clients').set(bearer(t.admin.token)).send({ phone: phone(), name: 'Comprador' })).body;
      const offer = await http().post('/api/v1/transactions').set(bearer(t.admin.token)).send({ client_id: client.id, kind: 'sale', amount: 150000.5, currency: 'USD', commission_rate: 2.5, property_ref: 'DEP-12' });
      expect(offer.status).toBe(201);
      expect(offer.body).toMatchObject({ status: 'offer', amount: 150000.5, commission: 3750.01, allowed_next: ['negotiation', 'accepted', 'rejected', 'cancelled'] });
      for (const status of ['negotiation', 'accepted', 'closed']) {
        const res = await http().patch(`/api/v1/transactions/${offer.body.id}/status`).set(bearer(t.admin.token)).send({ status, note: `to ${status}` });
        expect(res.status).toBe(200);
        expect(res.body.status).toBe(status);
      }
      const detail = await http().get(`/api/v1/transactions/${offer.body.id}`).set(bearer(t.admin.token));
      expect(detail.body.history.map((h: { from: string | null; to: string }) => [h.from, h.to])).toEqual([
        [null, 'offer'],
        ['offer', 'negotiation'],
        ['negotiation', 'accepted'],
        ['accepted', 'closed'],
      ]);
      const won = await http().get(`/api/v1/leads/${client.id}`).set(bearer(t.admin.token));
      expect(won.body).toMatchObject({ pipeline_stage: 'ganado', status: 'converted' });
      const list = await http().get('/api/v1/transactions?status=closed').set(bearer(t.admin.token));
      expect(list.body.data.map((d: { id: string }) => d.id)).toContain(offer.body.id);
    });

    it('refuses an invalid transition with 409 and writes no history', async () => {
      const client = (await http().post('/api/v1/clients').set(bearer(t.admin.token)).send({ phone: phone() })).body;
      const deal = (await http().post('/api/v1/transactions').set(bearer(t.admin.token)).send({ client_id: client.id, kind: 'rent', amount: 900 })).body;
      await http().patch(`/api/v1/transactions/${deal.id}/status`).set(bearer(t.admin.token)).send({ status: 'rejected' }).expect(200);
      const res = await http().patch(`/api/v1/transactions/${deal.id}/status`).set(bearer(t.admin.token)).send({ status: 'closed' });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'invalid_transition', details: { from: 'rejected', allowed: [] } });
      expect((await http().get(`/api/v1/transactions/${deal.id}`).set(bearer(t.admin.token))).body.history).toHaveLength(2);
      expect((await http().patch(`/api/v1/transactions/${deal.id}/status`).set(bearer(t.admin.token)).send({ status: 'sold' })).status).toBe(422);
    });

    it('takes moves of one deal sent at once one after another, each checked against the last', async () => {
      const client = (await http().post('/api/v1/clients').set(bearer(t.admin.token)).send({ phone: phone() })).body;
      const deal = (await http().post('/api/v1/transactions').set(bearer(t.admin.token)).send({ client_id: client.id, kind: 'sale', amount: 1000 })).body;
      const moves = ['accepted', 'rejected', 'cancelled', 'negotiation'].flatMap((status) => [status, status]);
      const answers = await Promise.all(moves.map((status) => http().patch(`/api/v1/transactions/${deal.id}/status`).set(bearer(t.admin.token)).send({ status })));
      expect(answers.map((r) => r.status).every((status) => status === 200 || status === 409)).toBe(true);
      const detail = (await http().get(`/api/v1/transactions/${deal.id}`).set(bearer(t.admin.token))).body;
      const history = detail.history as Array<{ from: string | null; to: string }>;
      // One chain from the offer: each move starts where the one before ended (several moved "from offer" before).
      history.slice(1).forEach((h, i) => expect(h.from).toBe(history[i]!.to));
      expect(history).toHaveLength(1 + answers.filter((r) => r.status === 200).length);
      expect(detail.status).toBe(history.at(-1)!.to);
    });

    it('shows an AGENT only the deals of their own clients', async () => {
      const unassigned = (await http().post('/api/v1/clients').set(bearer(t.admin.token)).send({ phone: phone() })).body;
      const theirs = (await http().post('/api/v1/transactions').set(bearer(t.admin.token)).send({ client_id: unassigned.id, kind: 'sale', amount: 10 })).body;
      const asAgent = bearer(t.agent.token);
      expect((await http().get('/api/v1/transactions').set(asAgent)).body.data.map((d: { id: string }) => d.id)).not.toContain(theirs.id);
      expect((await http().get(`/api/v1/transactions?client_id=${unassigned.id}`).set(asAgent)).body.data).toEqual([]);
      expect((await http().get(`/api/v1/transactions/${theirs.id}`).set(asAgent)).status).toBe(404);
      expect((await http().patch(`/api/v1/transactions/${theirs.id}/status`).set(asAgent).send({ status: 'accepted' })).status).toBe(404);
      expect((await http().post('/api/v1/transactions').set(asAgent).send({ client_id: unassigned.id, kind: 'sale', amount: 5 })).status).toBe(422);
      // Once the client is theirs, so are its deals.
      await http().patch(`/api/v1/clients/${unassigned.id}`).set(bearer(t.admin.token)).send({ assigned_agent_id: t.agent.id }).expect(200);
      expect((await http().get(`/api/v1/transactions?client_id=${unassigned.id}`).set(asAgent)).body.data.map((d: { id: string }) => d.id)).toEqual([theirs.id]);
      expect((await http().patch(`/api/v1/transactions/${theirs.id}/status`).set(asAgent).send({ status: 'accepted' })).status).toBe(200);
    });

    it("refuses another broker's client and bad amounts", async () => {
      const theirs = (await http().post('/api/v1/clients').set(bearer(other.admin.token)).send({ phone: phone() })).body;
      expect((await http().post('/api/v1/transactions').set(bearer(t.admin.token)).send({ client_id: theirs.id, kind: 'sale', amount: 10 })).status).toBe(422);
      const mine = (await http().post('/api/v1/clients').set(bearer(t.admin.token)).send({ phone: phone() })).body;
      for (const amount of [-5, 0, 1.234, 'ten']) {
        expect((await http().post('/api/v1/transactions').set(bearer(t.admin.token)).send({ client_id: mine.id, kind: 'sale', amount })).status).toBe(422);
      }
      expect((await http().get(`/api/v1/transactions/${randomUUID()}`).set(bearer(t.admin.token))).status).toBe(404);
    });
  });

  describe('pipeline', () => {
    let p: Tenant;
    beforeAll(async () => {
      p = await registerTenant(app);
      const make = (body: Record<string, unknown>) => http().post('/api/v1/leads').set(bearer(p.admin.token)).send(body).expect(201);
      await make({ phone: phone() });
      await make({ phone: phone(), name: 'Con nombre' });
      await make({ phone: phone(), name: 'Con presupuesto', budget: '4000 UF' });
      const assigned = (await make({ phone: phone(), name: 'Del agente' })).body;
      await http().put(`/api/v1/leads/${assigned.id}/assign`).set(bearer(p.admin.token)).send({ agent_id: p.agent.id }).expect(200);
    });

    it('shows the board by stage with counts, and an AGENT only its leads', async () => {
      const board = await http().get('/api/v1/pipeline').set(bearer(p.admin.token));
      const counts = Object.fromEntries(board.body.stages.map((s: { stage: string; count: number }) => [s.stage, s.count]));
      expect(counts).toMatchObject({ entrada: 1, perfilamiento: 2, calificacion_financiera: 1, ganado: 0 });
      expect(board.body.total).toBe(4);
      const agentBoard = await http().get('/api/v1/pipeline').set(bearer(p.agent.token));
      expect(agentBoard.body.total).toBe(1);
    });

    it('reports funnel, conversion and time in stage from the stage moves', async () => {
      const metrics = await http().get('/api/v1/pipeline/metrics').set(bearer(p.admin.token));
      expect(metrics.status).toBe(200);
      const reached = Object.fromEntries(metrics.body.funnel.map((f: { stage: string; reached: number }) => [f.stage, f.reached]));
      expect(reached).toMatchObject({ entrada: 4, perfilamiento: 3, calificacion_financiera: 1 });
      expect(metrics.body.conversion[0]).toEqual({ from: 'entrada', to: 'perfilamiento', rate: 0.75 });
      const entrada = metrics.body.avg_time_in_stage_hours.find((s: { stage: string }) => s.stage === 'entrada');
      expect(entrada.moves).toBe(3);
      expect(entrada.hours).toBeGreaterThanOrEqual(0);
      expect((await http().get('/api/v1/pipeline/metrics?from=2026-12-01T00:00:00Z&to=2026-01-01T00:00:00Z').set(bearer(p.admin.token))).status).toBe(422);
      expect((await http().get('/api/v1/pipeline/metrics?from=0000-01-01T00:00:00Z').set(bearer(p.admin.token))).status).toBe(422);
    });

    it('advances leads on the admin trigger after their facts change underneath', async () => {
      const lead = (await http().post('/api/v1/leads').set(bearer(p.admin.token)).send({ phone: phone() })).body;
      await ctx.orm.em.fork().getConnection().execute("update customers set name = 'Llegó por otro canal' where id = ?", [lead.id]);
      const res = await http().post('/api/v1/pipeline/auto-advance').set(bearer(p.admin.token));
      expect(res.status).toBe(200);
      expect(res.body.advanced).toBeGreaterThanOrEqual(1);
      expect((await http().get(`/api/v1/leads/${lead.id}`).set(bearer(p.admin.token))).body.pipeline_stage).toBe('perfilamiento');
      expect((await http().post('/api/v1/pipeline/auto-advance').set(bearer(p.agent.token))).status).toBe(403);
    });
  });
});
