import { gzipSync } from 'node:zlib';
import request from 'supertest';
import type Koa from 'koa';
import { createApp } from '../../src/http/app';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';

describe('HTTP foundation on the real services', () => {
  let ctx: TestContext;
  let app: Koa;

  beforeAll(async () => {
    // Sign-in paths are limited per client address, and every suite here comes from the same one.
    ctx = await createTestContext({ BODY_JSON_LIMIT: '1kb', AUTH_RATE_LIMIT_PER_MINUTE: 100_000 });
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

  it('refuses JSON nested deeper than 64 levels with 422, however deep', async () => {
    const nested = (depth: number) => `{"email":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    const post = (app: Koa, body: string) => request(app.callback()).post('/auth/login').set('Content-Type', 'application/json').send(body);
    const atLimit = await post(app, nested(64));
    expect(atLimit.status).toBe(422);
    expect(atLimit.body.error.details).not.toEqual([expect.objectContaining({ message: expect.stringContaining('nested') })]);
    const over = await post(app, nested(65));
    expect(over.status).toBe(422);
    expect(over.body.error.details).toEqual([{ path: expect.stringMatching(/^email(\.0)+$/), message: 'nested deeper than 64 levels' }]);
    // Thousands of levels in a few kilobytes once overflowed the check's own recursion (500).
    const roomy = createApp({ ...ctx, config: { ...ctx.config, BODY_JSON_LIMIT: '1mb' } });
    const deep = await post(roomy, nested(50_000));
    expect(deep.status).toBe(422);
    expect(deep.body.error.details[0].message).toBe('nested deeper than 64 levels');
  });

  it('answers a body that does not decode as its Content-Encoding says with 400', async () => {
    const gzipped = gzipSync(JSON.stringify({ email: 'a@example.com' }));
    // serialize: superagent would otherwise send a Buffer under a JSON type as the Buffer's JSON.
    const post = (encoding: string, body: Buffer) => request(server()).post('/auth/login').set('Content-Type', 'application/json').set('Content-Encoding', encoding).serialize((b: unknown) => b as string).send(body);
    for (const [encoding, body] of [['gzip', Buffer.from('xx')], ['deflate', Buffer.from('xx')], ['br', Buffer.from('xx')], ['gzip', gzipped.subarray(0, 12)]] as const) {
      const res = await post(encoding, body);
      expect({ encoding, status: res.status, code: res.body.error?.code }).toEqual({ encoding, status: 400, code: 'invalid_body' });
    }
    // A body that does decode is read as usual.
    const fine = await post('gzip', gzipped);
    expect(fine.body.error).toMatchObject({ code: 'validation_error' });
  });

  it('refuses an unknown Content-Encoding and JSON declared in another charset with 415, naming them', async () => {
    const zstd = await request(server()).post('/auth/login').set('Content-Type', 'application/json').set('Content-Encoding', 'zstd').send('{}');
    expect(zstd.status).toBe(415);
    expect(zstd.body.error).toEqual({ code: 'unsupported_media_type', message: expect.stringContaining('zstd') });
    const latin1 = await request(server()).post('/auth/login').set('Content-Type', 'application/json; charset=latin1').send('{"email":"café@example.com"}');
    expect(latin1.status).toBe(415);
    expect(latin1.body.error).toEqual({ code: 'unsupported_media_type', message: 'JSON bodies must be UTF-8, not latin1' });
    const utf8 = await request(server()).post('/auth/login').set('Content-Type', 'application/json; charset=UTF-8').send('{}');
    expect(utf8.status).toBe(422);
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
