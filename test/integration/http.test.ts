import request from 'supertest';
import type Koa from 'koa';
import { createApp } from '../../src/http/app';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';

describe('HTTP foundation on the real services', () => {
  let ctx: TestContext;
  let app: Koa;

  beforeAll(async () => {
    ctx = await createTestContext({ BODY_JSON_LIMIT: '1kb' });
    await ctx.startWorker();
    app = createApp(ctx);
  });
  afterAll(() => ctx.close());

  const server = () => app.callback();

  it('answers liveness with request id and processing time headers', async () => {
    const res = await request(server()).get('/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-processing-time']).toMatch(/^\d+(\.\d)?ms$/);
  });

  it('echoes a sane client request id and replaces an unsafe one', async () => {
    expect((await request(server()).get('/health').set('X-Request-Id', 'client-42')).headers['x-request-id']).toBe('client-42');
    const unsafe = await request(server()).get('/health').set('X-Request-Id', 'a b<script>');
    expect(unsafe.headers['x-request-id']).not.toContain('<');
  });

  it('reports all three services and the polling worker', async () => {
    // The worker registers its pollers with the server on its first poll.
    const res = await eventually('the worker to be seen polling', () => request(server()).get('/health/details'), (r) => Boolean(r.body.worker?.polling), 30_000, 250);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      services: {
        postgres: { ok: true, latencyMs: expect.any(Number) },
        temporal: { ok: true, workerPolling: true, taskQueue: ctx.temporal.taskQueue },
        elasticsearch: { ok: true, clusterStatus: expect.stringMatching(/green|yellow/) },
      },
      worker: { polling: true, task_queue: ctx.temporal.taskQueue },
      events: { listening: true },
    });
  });

  it('runs the probe workflow through the worker on request', async () => {
    const res = await request(server()).get('/health/details?probe=true');
    expect(res.status).toBe(200);
    expect(res.body.probe).toMatchObject({
      ok: true,
      workflow_id: expect.stringMatching(/^probe:/),
      worker: { postgres: { ok: true }, elasticsearch: { ok: true } },
    });
  });

  it('rejects a bad query value with the documented 422', async () => {
    const res = await request(server()).get('/health/details?probe=maybe');
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      status: 'error',
      error: { code: 'validation_error', message: expect.any(String), details: [{ path: 'probe', message: expect.any(String) }] },
      request_id: res.headers['x-request-id'],
    });
  });

  it('answers an unknown route with 404 in the error shape', async () => {
    const res = await request(server()).get('/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ status: 'error', error: { code: 'not_found', message: 'No route for GET /api/v1/nothing-here' }, request_id: res.headers['x-request-id'] });
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const res = await request(server()).delete('/health');
    expect(res.status).toBe(405);
    expect(res.body.error.code).toBe('method_not_allowed');
    expect(res.headers.allow).toContain('GET');
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const res = await request(server()).post('/health').set('Content-Type', 'application/json').send('{"a": ');
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'invalid_json', message: 'Request body is not valid JSON' });
  });

  it('answers an oversized JSON body with 413', async () => {
    const res = await request(server())
      .post('/health')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ text: 'x'.repeat(4096) }));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(res.headers['x-request-id']).toBeDefined();
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const spec = await request(server()).get('/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.paths['/health/details']).toBeDefined();
    const page = await request(server()).get('/docs');
    expect(page.text).toContain('/openapi.json');
    const asset = await request(server()).get('/docs/swagger-ui-bundle.js');
    expect(asset.status).toBe(200);
    expect((await request(server()).get('/docs/..%2Fpackage.json')).status).toBe(404);
  });
});

describe('health details when a service is down', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    // Port 9 (discard) on loopback: nothing answers as Elasticsearch there.
    ctx = await createTestContext({ ELASTICSEARCH_URL: 'http://127.0.0.1:9', ELASTICSEARCH_REQUEST_TIMEOUT_MS: 1000 });
  });
  afterAll(() => ctx.close());

  it('says which one with 503 and still reports the others', async () => {
    const res = await request(createApp(ctx).callback()).get('/health/details');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('degraded');
    expect(res.body.services.elasticsearch).toMatchObject({ ok: false, error: expect.any(String) });
    expect(res.body.services.postgres.ok).toBe(true);
    expect(res.body.worker.polling).toBe(false);
  });
});
