import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type Koa from 'koa';
import { webhookDeliveryWorkflowId, type WebhookDeliveryOutcome, type WebhookEvent } from '../../src/contracts';
import { WebhookDeliverySchema } from '../../src/db/entities';
import { ALL_TENANTS, TENANT_FILTER } from '../../src/db/orm';
import { createApp } from '../../src/http/app';
import { dispatchWebhookEvent, startWebhookDelivery } from '../../src/webhooks/dispatch';
import { verifyWebhookSignature } from '../../src/webhooks/signature';
import { createTestContext, type TestContext } from '../support/context';
import { maybeCaptureHistory } from '../support/histories';
import { bearer, registerTenant, type Tenant } from '../support/identity';

const PUBLIC_URL = 'https://crm.example.com';
/** Short backoff so retries take milliseconds; the schedule's shape is the production one. */
const FAST_RETRY = { initialIntervalMs: 50, backoffCoefficient: 2, maximumIntervalMs: 200, maximumAttempts: 5 };

interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  signatureValid: boolean;
}

/** A local receiver that checks signatures independently of the code under test. */
async function startReceiver(respond: (attempt: number) => number) {
  let secret = '';
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const timestamp = String(req.headers['x-webhook-timestamp']);
      const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-webhook-signature']));
      const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
      requests.push({ headers: req.headers, body, signatureValid: fresh && expected.length === given.length && timingSafeEqual(expected, given) });
      res.statusCode = respond(requests.length);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    requests,
    useSecret(value: string) {
      secret = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('outbound webhooks', () => {
  let ctx: TestContext;
  let app: Koa;
  let tenant: Tenant;
  let other: Tenant;
  const api = () => request(app.callback());
  const receivers: Array<{ close(): Promise<void> }> = [];
  const dispatch = (tenantId: string, event: WebhookEvent, payload: Record<string, unknown>) =>
    dispatchWebhookEvent({ em: ctx.orm.em, temporal: ctx.temporal, retry: FAST_RETRY }, tenantId, event, payload);
  const outcomeOf = (tenantId: string, deliveryId: string) => ctx.temporal.client.workflow.getHandle(webhookDeliveryWorkflowId(tenantId, deliveryId)).result() as Promise<WebhookDeliveryOutcome>;
  const deliveryRow = (id: string) => ctx.orm.em.fork().findOneOrFail(WebhookDeliverySchema, { id }, { filters: { [TENANT_FILTER]: { tenantId: ALL_TENANTS } } });

  async function subscribe(owner: Tenant, url: string, events: WebhookEvent[]): Promise<{ id: string; secret: string }> {
    const res = await api().post('/api/v1/webhooks').set(bearer(owner.admin.token)).send({ url, events });
    expect(res.status).toBe(201);
    return res.body;
  }

  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000, RATE_LIMIT_PER_MINUTE: 100_000, PORT: 8000, PUBLIC_URL });
    app = createApp(ctx);
    await ctx.startWorker();
    [tenant, other] = await Promise.all([registerTenant(app), registerTenant(app)]);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await ctx.close();
  });

  describe('delivery', () => {
    it('retries a failing receiver with the same delivery id and signs every attempt', async () => {
      const receiver = await startReceiver((attempt) => (attempt <= 2 ? 500 : 200));
      receivers.push(receiver);
      const subscription = await subscribe(tenant, receiver.url, ['lead.created', 'lead.updated']);
      expect(subscription.secret).toMatch(/^whsec_/);
      receiver.useSecret(subscription.secret);

      const deliveries = await dispatch(tenant.brokerId, 'lead.created', { lead_id: 'lead-1', name: 'Ana' });
      expect(deliveries).toHaveLength(1);
      const delivery = deliveries[0];
      const handle = ctx.temporal.client.workflow.getHandle(webhookDeliveryWorkflowId(tenant.brokerId, delivery!.id));
      expect(await handle.result()).toEqual({ status: 'delivered', statusCode: 200 });

      expect(receiver.requests).toHaveLength(3);
      for (const received of receiver.requests) {
        expect(received.signatureValid).toBe(true);
        expect(received.headers['x-webhook-id']).toBe(delivery!.id);
        expect(received.headers['content-type']).toBe('application/json');
        expect(verifyWebhookSignature({ secret: subscription.secret, timestamp: String(received.headers['x-webhook-timestamp']), body: received.body, signature: String(received.headers['x-webhook-signature']) })).toBe(true);
        expect(JSON.parse(received.body)).toEqual({ id: delivery!.id, event: 'lead.created', created_at: expect.any(String), data: { lead_id: 'lead-1', name: 'Ana' } });
      }

      const log = await api().get(`/api/v1/webhooks/${subscription.id}/deliveries`).set(bearer(tenant.admin.token));
      expect(log.status).toBe(200);
      expect(log.body).toMatchObject({ total: 1, skip: 0, limit: 50 });
      expect(log.body.data[0]).toMatchObject({ id: delivery!.id, subscription_id: subscription.id, event: 'lead.created', status: 'delivered', attempts: 3, last_status_code: 200, last_error: null, delivered_at: expect.any(String) });

      // Starting the same delivery again keeps the finished workflow: nothing is sent twice.
      await startWebhookDelivery({ temporal: ctx.temporal, retry: FAST_RETRY }, tenant.brokerId, delivery!.id);
      expect(receiver.requests).toHaveLength(3);
      expect((await deliveryRow(delivery!.id)).attempts).toBe(3);

      await maybeCaptureHistory(handle, 'webhook-delivery-retried');
    });

    it('fails a delivery at once when the receiver refuses it with a 4xx', async () => {
      const receiver = await startReceiver(() => 400);
      receivers.push(receiver);
      const subscription = await subscribe(tenant, receiver.url, ['lead.stage_changed']);
      receiver.useSecret(subscription.secret);

      const [delivery] = await dispatch(tenant.brokerId, 'lead.stage_changed', { lead_id: 'lead-2', from: 'new', to: 'qualified' });
      const handle = ctx.temporal.client.workflow.getHandle(webhookDeliveryWorkflowId(tenant.brokerId, delivery!.id));
      expect(await handle.result()).toEqual({ status: 'failed', error: 'Receiver answered HTTP 400' });
      expect(receiver.requests).toHaveLength(1);
      expect(receiver.requests[0]!.signatureValid).toBe(true);
      expect(await deliveryRow(delivery!.id)).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 400, lastError: 'Receiver answered HTTP 400', deliveredAt: null });
      await maybeCaptureHistory(handle, 'webhook-delivery-refused');
    });

    it('keeps retrying 429, and gives up after the last attempt', async () => {
      const tenant = await registerTenant(app);
      const receiver = await startReceiver(() => 429);
      receivers.push(receiver);
      const subscription = await subscribe(tenant, receiver.url, ['lead.updated']);
      receiver.useSecret(subscription.secret);
      const deliveries = await dispatchWebhookEvent({ em: ctx.orm.em, temporal: ctx.temporal, retry: { ...FAST_RETRY, maximumAttempts: 3 } }, tenant.brokerId, 'lead.updated', { lead_id: 'lead-3' });
      expect(deliveries).toHaveLength(1);
      expect(await outcomeOf(tenant.brokerId, deliveries[0]!.id)).toEqual({ status: 'failed', error: 'Receiver answered HTTP 429' });
      expect(receiver.requests).toHaveLength(3);
      expect(await deliveryRow(deliveries[0]!.id)).toMatchObject({ status: 'failed', attempts: 3, lastStatusCode: 429 });
    });

    it('stops retrying once the subscription is deactivated', async () => {
      const tenant = await registerTenant(app);
      const receiver = await startReceiver(() => 503);
      receivers.push(receiver);
      const subscription = await subscribe(tenant, receiver.url, ['lead.created']);
      receiver.useSecret(subscription.secret);
      const [delivery] = await dispatchWebhookEvent({ em: ctx.orm.em, temporal: ctx.temporal, retry: { ...FAST_RETRY, initialIntervalMs: 1_000, maximumIntervalMs: 1_000 } }, tenant.brokerId, 'lead.created', { lead_id: 'lead-5' });
      for (let waited = 0; receiver.requests.length === 0 && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      await api().delete(`/api/v1/webhooks/${subscription.id}`).set(bearer(tenant.admin.token)).expect(204);
      expect(await outcomeOf(tenant.brokerId, delivery!.id)).toEqual({ status: 'failed', error: 'The webhook subscription is no longer active' });
      expect(receiver.requests).toHaveLength(1);
      expect(await deliveryRow(delivery!.id)).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 503, lastError: 'The webhook subscription is no longer active' });
    });

    it('sends only to active subscriptions of that tenant that want the event', async () => {
      const receiver = await startReceiver(() => 204);
      receivers.push(receiver);
      const wanted = await subscribe(other, receiver.url, ['lead.created']);
      const unwanted = await subscribe(other, receiver.url, ['lead.updated']);
      const removed = await subscribe(other, receiver.url, ['lead.created']);
      await api().delete(`/api/v1/webhooks/${removed.id}`).set(bearer(other.admin.token)).expect(204);
      receiver.useSecret(wanted.secret);

      const deliveries = await dispatch(other.brokerId, 'lead.created', { lead_id: 'lead-4' });
      expect(deliveries.map((d) => d.subscriptionId)).toEqual([wanted.id]);
      expect(await outcomeOf(other.brokerId, deliveries[0]!.id)).toEqual({ status: 'delivered', statusCode: 204 });
      expect(receiver.requests).toHaveLength(1);
      expect(unwanted.id).not.toBe(wanted.id);
    });
  });

  describe('routes', () => {
    const valid = { url: 'https://hooks.example.net/crm', events: ['lead.created'] };

    it.each([
      [{ url: 'ftp://hooks.example.net/x' }, 'url'],
      [{ url: 'javascript:alert(1)' }, 'url'],
      [{ url: 'file:///etc/passwd' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'https://user:pass@hooks.example.net/x' }, 'url'],
      [{ url: 'http://127.0.0.1:8000/api/v1/webhooks' }, 'url'],
      [{ url: 'http://localhost:8000/auth/register' }, 'url'],
      [{ url: 'http://0.0.0.0:8000/' }, 'url'],
      [{ url: 'http://[::1]:8000/' }, 'url'],
      [{ url: `${PUBLIC_URL}/api/v1/webhooks` }, 'url'],
      [{ events: ['lead.deleted'] }, 'events.0'],
      [{ events: [] }, 'events'],
      [{ secret: 'short' }, 'secret'],
      [{ extra: true }, ''],
    ])('rejects %j with 422 naming %s', async (override, field) => {
      const res = await api().post('/api/v1/webhooks').set(bearer(tenant.admin.token)).send({ ...valid, ...override });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('validation_error');
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
    });

    it('allows loopback receivers on other ports than the API', async () => {
      const res = await api().post('/api/v1/webhooks').set(bearer(tenant.admin.token)).send({ url: 'http://127.0.0.1:8001/hooks', events: ['lead.created'], secret: 'a-receiver-chosen-secret' });
      expect(res.status).toBe(201);
      expect(res.body.secret).toBe('a-receiver-chosen-secret');
      await api().delete(`/api/v1/webhooks/${res.body.id}`).set(bearer(tenant.admin.token)).expect(204);
    });

    it('never lists secrets, and shows deactivation', async () => {
      const created = await subscribe(tenant, valid.url, ['lead.created', 'lead.created', 'lead.updated']);
      await api().delete(`/api/v1/webhooks/${created.id}`).set(bearer(tenant.admin.token)).expect(204);
      const list = await api().get('/api/v1/webhooks?limit=200').set(bearer(tenant.admin.token));
      expect(list.status).toBe(200);
      expect(JSON.stringify(list.body)).not.toContain(created.secret);
      const row = list.body.data.find((w: { id: string }) => w.id === created.id);
      expect(row).toEqual({ id: created.id, broker_id: tenant.brokerId, url: valid.url, events: ['lead.created', 'lead.updated'], is_active: false, created_by: tenant.admin.id, created_at: expect.any(String) });
      expect(list.body.data.every((w: { broker_id: string }) => w.broker_id === tenant.brokerId)).toBe(true);
    });

    it("answers 404 for another broker's subscription and leaves it alone", async () => {
      const theirs = await subscribe(other, valid.url, ['lead.created']);
      await api().get(`/api/v1/webhooks/${theirs.id}/deliveries`).set(bearer(tenant.admin.token)).expect(404);
      await api().delete(`/api/v1/webhooks/${theirs.id}`).set(bearer(tenant.admin.token)).expect(404);
      await api().delete('/api/v1/webhooks/not-a-uuid').set(bearer(tenant.admin.token)).expect(404);
      const list = await api().get('/api/v1/webhooks?limit=200').set(bearer(other.admin.token));
      expect(list.body.data.find((w: { id: string }) => w.id === theirs.id)).toMatchObject({ is_active: true });
    });

    it('is for ADMINs only', async () => {
      await api().get('/api/v1/webhooks').set(bearer(tenant.agent.token)).expect(403);
      await api().post('/api/v1/webhooks').set(bearer(tenant.agent.token)).send(valid).expect(403);
      await api().get('/api/v1/webhooks').expect(401);
    });

    it('pages the delivery log', async () => {
      const tenant = await registerTenant(app);
      const receiver = await startReceiver(() => 200);
      receivers.push(receiver);
      const subscription = await subscribe(tenant, receiver.url, ['lead.updated']);
      receiver.useSecret(subscription.secret);
      const deliveries = [];
      for (let i = 0; i < 3; i += 1) deliveries.push(...(await dispatch(tenant.brokerId, 'lead.updated', { lead_id: `lead-${i}` })));
      expect(deliveries).toHaveLength(3);
      await Promise.all(deliveries.map((d) => outcomeOf(tenant.brokerId, d.id)));
      const page = await api().get(`/api/v1/webhooks/${subscription.id}/deliveries?skip=1&limit=1`).set(bearer(tenant.admin.token));
      expect(page.body).toMatchObject({ total: 3, skip: 1, limit: 1 });
      expect(page.body.data).toHaveLength(1);
      await api().get(`/api/v1/webhooks/${subscription.id}/deliveries?limit=201`).set(bearer(tenant.admin.token)).expect(422);
    });
  });

  describe("seed 003's POST /api/webhook", () => {
    it('registers with an admin API key and maps the event names', async () => {
      const key = await api().post('/api/v1/api-keys').set(bearer(tenant.admin.token)).send({ name: `hooks-${randomUUID().slice(0, 6)}`, scopes: ['read', 'write', 'admin'] });
      expect(key.status).toBe(201);
      const res = await api()
        .post('/api/webhook')
        .set('X-API-Key', key.body.key)
        .send({ url: 'https://hooks.example.net/seed', events: ['new_lead', 'lead_updated'], secret: 'seed-003-shared-secret' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ webhook_id: expect.any(String), status: 'active', message: 'Webhook registered successfully' });
      const list = await api().get('/api/v1/webhooks?limit=200').set(bearer(tenant.admin.token));
      expect(list.body.data.find((w: { id: string }) => w.id === res.body.webhook_id)).toMatchObject({ url: 'https://hooks.example.net/seed', events: ['lead.created', 'lead.updated'], is_active: true, created_by: null });
    });

    it('accepts a bearer token and refuses what the canonical route refuses', async () => {
      const ok = await api().post('/api/webhook').set(bearer(tenant.admin.token)).send({ url: 'https://hooks.example.net/seed', events: ['new_lead'] });
      expect(ok.status).toBe(200);
      for (const body of [
        { url: 'https://hooks.example.net/seed', events: ['lead.created'] },
        { url: 'http://127.0.0.1:8000/', events: ['new_lead'] },
        { url: 'https://hooks.example.net/seed', events: ['new_lead'], extra: 1 },
      ]) {
        const res = await api().post('/api/webhook').set(bearer(tenant.admin.token)).send(body);
        expect(res.status).toBe(422);
      }
      await api().post('/api/webhook').set(bearer(tenant.agent.token)).send({ url: 'https://hooks.example.net/seed', events: ['new_lead'] }).expect(403);
    });
  });
});
