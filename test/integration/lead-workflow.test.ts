import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type Koa from 'koa';
import { leadStateQuery, leadWorkflowId, type LeadQualificationState } from '../../src/contracts';
import { createApp } from '../../src/http/app';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { maybeCaptureHistory } from '../support/histories';
import { bearer, registerTenant, type Tenant } from '../support/identity';
import { verifyWebhookSignature } from '../../src/webhooks/signature';

const STALE_MS = 3000;

describe('leadQualification workflow', () => {
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;
  const api = () => request(app.callback());
  const phone = () => `+5696${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  const handleFor = (leadId: string) => ctx.temporal.client.workflow.getHandle(leadWorkflowId(t.brokerId, leadId));
  async function stateOf(leadId: string, until: (s: LeadQualificationState) => boolean): Promise<LeadQualificationState> {
    const state = await eventually('the lead workflow’s state to match', () => handleFor(leadId).query(leadStateQuery).catch(() => null), (s) => s !== null && until(s), 30_000, 200);
    return state!;
  }

  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000, LEAD_STALE_AFTER_MS: STALE_MS });
    await ctx.startWorker();
    app = createApp(ctx);
    t = await registerTenant(app);
  });
  afterAll(() => ctx.close());

  it('starts with the lead, rescores on changes, and exposes a readable breakdown', async () => {
    const lead = (await api().post('/api/v1/leads').set(bearer(t.admin.token)).send({ phone: phone(), name: 'Ana' })).body;
    const first = await stateOf(lead.id, (s) => s.changesSeen >= 1 && s.score !== null);
    expect(first.score!.score).toBe(lead.lead_score);
    await api().put(`/api/v1/leads/${lead.id}`).set(bearer(t.admin.token)).send({ budget: '5000 UF', timeline: '3 meses' }).expect(200);
    const second = await stateOf(lead.id, (s) => s.changesSeen >= 2);
    expect(second.stage).toBe('calificacion_financiera');
    expect(second.score!.breakdown.find((b) => b.factor === 'has_budget')).toMatchObject({ earned: 1 });
    const description = await handleFor(lead.id).describe();
    expect(description.searchAttributes.CrmLeadId).toEqual([lead.id]);
    await api().delete(`/api/v1/leads/${lead.id}`).set(bearer(t.admin.token)).expect(204);
    await handleFor(lead.id).result();
  });

  it('schedules a follow-up for a quiet lead, then marks it lost, writing activities and events', async () => {
    const lead = (await api().post('/api/v1/leads').set(bearer(t.admin.token)).send({ phone: phone(), name: 'Quiet' })).body;
    const final = (await handleFor(lead.id).result()) as LeadQualificationState;
    expect(final).toMatchObject({ followUpsScheduled: 1, lost: true, stage: 'perdido' });
    const detail = await api().get(`/api/v1/leads/${lead.id}`).set(bearer(t.admin.token));
    expect(detail.body).toMatchObject({ status: 'lost', pipeline_stage: 'perdido', follow_up_status: 'pending' });
    const activities: Array<{ type: string; data: { to?: string } }> = detail.body.recent_activities;
    expect(activities.filter((a) => a.type === 'follow_up_scheduled')).toHaveLength(1);
    expect(activities.filter((a) => a.type === 'stage_changed' && a.data.to === 'perdido')).toHaveLength(1);
    const events = await ctx.orm.em.fork().getConnection().execute<Array<{ type: string }>>("select type from events where payload->>'lead_id' = ? order by id", [lead.id]);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['lead.created', 'lead.updated', 'lead.stage_changed']));
    await maybeCaptureHistory(handleFor(lead.id), 'lead-qualification-quiet-then-lost');
  });

  it('leaves a lead alone while people keep working on it, and a won lead is never marked lost', async () => {
    const lead = (await api().post('/api/v1/leads').set(bearer(t.admin.token)).send({ phone: phone(), name: 'Busy' })).body;
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, STALE_MS / 3));
      await api().put(`/api/v1/leads/${lead.id}`).set(bearer(t.admin.token)).send({ notes: `call ${i}` }).expect(200);
    }
    await api().put(`/api/v1/leads/${lead.id}/pipeline`).set(bearer(t.admin.token)).send({ stage: 'ganado' }).expect(200);
    const final = (await handleFor(lead.id).result()) as LeadQualificationState;
    expect(final).toMatchObject({ followUpsScheduled: 0, lost: false, stage: 'ganado' });
    expect((await api().get(`/api/v1/leads/${lead.id}`).set(bearer(t.admin.token))).body.status).toBe('converted');
    await maybeCaptureHistory(handleFor(lead.id), 'lead-qualification-busy-then-won');
  });

  it('sends each lead change to the subscribed webhooks, signed, through the workflow', async () => {
    const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const sub = await api().post('/api/v1/webhooks').set(bearer(t.admin.token)).send({ url, events: ['lead.created', 'lead.stage_changed'] });
      expect(sub.status).toBe(201);
      const lead = (await api().post('/api/v1/leads').set(bearer(t.admin.token)).send({ phone: phone(), name: 'Hooked' })).body;
      await api().put(`/api/v1/leads/${lead.id}/pipeline`).set(bearer(t.admin.token)).send({ stage: 'agendado' }).expect(200);
      await eventually('both deliveries to arrive', () => received.length, (n) => n >= 2, 30_000, 100);
      const bodies = received.map((r) => JSON.parse(r.body) as { event: string; data: { lead: { id: string; pipeline_stage: string } } });
      expect(bodies.map((b) => b.event).sort()).toEqual(['lead.created', 'lead.stage_changed']);
      expect(bodies.every((b) => b.data.lead.id === lead.id)).toBe(true);
      for (const r of received) {
        const signature = String(r.headers['x-webhook-signature']);
        expect(verifyWebhookSignature({ secret: sub.body.secret, timestamp: String(r.headers['x-webhook-timestamp']), body: r.body, signature })).toBe(true);
      }
      // The receiver answers before the workflow records the outcome: wait for the log to catch up.
      const delivered = async () => (await api().get(`/api/v1/webhooks/${sub.body.id}/deliveries`).set(bearer(t.admin.token))).body.data.filter((d: { status: string }) => d.status === 'delivered');
      const log = await eventually('the delivery log to record both', delivered, (rows) => rows.length >= 2, 30_000, 100);
      expect(log).toHaveLength(2);
      await api().delete(`/api/v1/leads/${lead.id}`).set(bearer(t.admin.token)).expect(204);
      await handleFor(lead.id).result();
      await maybeCaptureHistory(handleFor(lead.id), 'lead-qualification-with-webhooks');
    } finally {
      receiver.close();
    }
  });
});
