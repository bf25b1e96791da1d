import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type Koa from 'koa';
import type { WebhookEvent } from '../../src/contracts';
import { createApp } from '../../src/http/app';
import { createTestContext, type TestContext } from '../support/context';
import { bearer, registerTenant, type Tenant } from '../support/identity';

const PUBLIC_URL = 'https://crm.example.com';

describe('outbound webhooks', () => {
  let ctx: TestContext;
  let app: Koa;
  let tenant: Tenant;
  let other: Tenant;
  const api = () => request(app.callback());

  async function subscribe(owner: Tenant, url: string, events: WebhookEvent[]): Promise<{ id: string; secret: string }> {
    const res = await api().post('/api/v1/webhooks').set(bearer(owner.admin.token)).send({ url, events });
    expect(res.status).toBe(201);
    return res.body;
  }

  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000, RATE_LIMIT_PER_MINUTE: 100_000, PORT: 8000, PUBLIC_URL });
    app = createApp(ctx);
    [tenant, other] = await Promise.all([registerTenant(app), registerTenant(app)]);
  });
  afterAll(() => ctx.close());

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
      const subscription = await subscribe(tenant, valid.url, ['lead.updated']);
      const page = await api().get(`/api/v1/webhooks/${subscription.id}/deliveries?skip=0&limit=10`).set(bearer(tenant.admin.token));
      expect(page.body).toEqual({ data: [], total: 0, skip: 0, limit: 10 });
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
