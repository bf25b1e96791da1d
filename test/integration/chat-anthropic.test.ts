import request from 'supertest';
import type Koa from 'koa';
import { createApp } from '../../src/http/app';
import { createTestContext, type TestContext } from '../support/context';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic';
import { bearer, registerTenant, type Tenant } from '../support/identity';

/** The Anthropic code path of a chat turn, against a local server speaking the Messages API. */
describe('chat with the Anthropic provider', () => {
  let fake: FakeAnthropic;
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;

  beforeAll(async () => {
    fake = await startFakeAnthropic();
    ctx = await createTestContext({ ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MODEL: 'claude-haiku-4-5', AUTH_RATE_LIMIT_PER_MINUTE: 100_000 });
    app = createApp(ctx);
    await ctx.startWorker();
    t = await registerTenant(app);
  });
  afterAll(async () => {
    await ctx.close();
    await fake.close();
  });

  it('retries 429 and 529 answers through Temporal, then stores the streamed reply with its tokens and cost', async () => {
    fake.reset();
    const answer = 'Hola Ana, con gusto te ayudo a encontrar un departamento.';
    fake.script(
      { type: 'error', status: 429, errorType: 'rate_limit_error', retryAfterSeconds: 0 },
      { type: 'tool', input: { name: 'Ana', location: 'Providencia', language: 'es', wants_human: false } },
      { type: 'error', status: 529, errorType: 'overloaded_error' },
      { type: 'text', text: answer, chunks: 5, usage: { input_tokens: 900, output_tokens: 40, cache_read_input_tokens: 700, cache_creation_input_tokens: 0 } },
    );
    const res = await request(app.callback()).post('/api/v1/chat/test').set(bearer(t.admin.token)).send({ message: 'Hola, soy Ana y busco departamento en Providencia' });
    expect(res.status).toBe(200);
    expect(res.body.response).toBe(answer);
    expect(res.body.conversation_state.collected_info).toMatchObject({ name: 'Ana', location: 'Providencia' });

    // One HTTP request per activity attempt: the SDK's own retries are off, Temporal's did the work.
    expect(fake.requests).toHaveLength(4);
    const [, extraction, , reply] = fake.requests.map((r) => r.body);
    expect(extraction).toMatchObject({ model: 'claude-haiku-4-5', tool_choice: { type: 'tool', name: 'record_customer_info' } });
    expect(reply).toMatchObject({ model: 'claude-haiku-4-5', stream: true });
    const system = reply!.system as Array<{ text: string; cache_control?: unknown }>;
    expect(system[0]).toMatchObject({ cache_control: { type: 'ephemeral' } });
    expect(system[0]!.text).toMatch(/Sofía/);
    expect(fake.requests[3]!.headers['x-api-key']).toBe('sk-ant-test');

    const [row] = await ctx.sql<{ provider: string; model: string; input_tokens: number; output_tokens: number; cache_read_tokens: number; cost_usd: number }>(
      "select provider, model, input_tokens, output_tokens, cache_read_tokens, cost_usd from chat_messages where session_id = ? and direction = 'out'",
      [res.body.session_id],
    );
    expect(row).toMatchObject({ provider: 'anthropic', model: 'claude-haiku-4-5', input_tokens: 900, output_tokens: 40, cache_read_tokens: 700 });
    expect(row!.cost_usd).toBeGreaterThan(0);
  });

  it('keeps what fits of a long fact in the lead, and answers a retried message from the stored reply without calling the model', async () => {
    fake.reset();
    const budget = `entre 5.000 y 6.000 UF ${'según lo que apruebe el banco, '.repeat(10)}`.trim();
    fake.script({ type: 'tool', input: { budget, property_type: 'departamento', language: 'es', wants_human: false } }, { type: 'text', text: 'Perfecto, anoto tu presupuesto.', chunks: 2 });
    const send = () => request(app.callback()).post('/api/v1/chat/test').set(bearer(t.admin.token)).set('Idempotency-Key', 'long-budget-1').send({ message: 'Mi presupuesto es de 5.000 a 6.000 UF' });
    const res = await send();
    expect(res.status).toBe(200);
    const [lead] = await ctx.sql<{ budget: string }>('select budget from customers where id = ?', [res.body.lead_id]);
    expect(lead!.budget).toBe(budget.slice(0, 100));

    // The session's run ends (as after an idle close); the retry starts a new run, which must not
    // ask the model again for a reply that is already stored.
    await ctx.temporal.client.workflow.getHandle(`chat:${t.brokerId}:${res.body.session_id}`).signal('endSession', { reason: 'test' });
    await ctx.temporal.client.workflow.getHandle(`chat:${t.brokerId}:${res.body.session_id}`).result();
    fake.script({ type: 'tool', input: { language: 'es', wants_human: false } }, { type: 'text', text: 'Otra respuesta distinta.', chunks: 1 });
    const again = await send();
    expect(again.status).toBe(200);
    expect(again.body.session_id).toBe(res.body.session_id);
    expect(again.body.response).toBe('Perfecto, anoto tu presupuesto.');
    expect(fake.requests.filter((r) => r.body.stream === true)).toHaveLength(1);
  });

  it('answers 502 for a request the model API refuses, and stores no reply', async () => {
    fake.reset();
    fake.script({ type: 'error', status: 400, errorType: 'invalid_request_error', message: 'prompt is too long' });
    const res = await request(app.callback()).post('/api/v1/chat/test').set(bearer(t.admin.token)).send({ message: 'Hola' });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('llm_error');
    expect(fake.requests).toHaveLength(1);
  });
});
