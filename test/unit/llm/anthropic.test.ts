import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AnthropicProvider, costOf, DEFAULT_PRICING, EXTRACTION_TOOL, modelTraits, pricingFor, type AnthropicProviderOptions } from '../../../src/llm/anthropic';
import { LlmError } from '../../../src/llm/errors';
import { buildDynamicContext, buildStableSystemPrompt, toApiMessages } from '../../../src/llm/prompt';
import type { ExtractRequest } from '../../../src/llm/types';
import { splitInto, startFakeAnthropic, type FakeAnthropic } from '../../support/fake-anthropic';
import { LISTINGS, PASSAGES, replyRequest } from '../../support/llm-fixtures';

/** The shape of the request bodies this provider sends, for assertions. */
interface SentBody {
  model: string;
  max_tokens: number;
  stream?: boolean;
  system: Array<{ type: string; text: string; cache_control?: { type: string } }>;
  messages: Array<{ role: string; content: string }>;
  tools?: Array<{ name: string; input_schema: { properties: Record<string, unknown>; required: string[] } }>;
  tool_choice?: { type: string; name?: string };
  thinking?: { type: string };
  temperature?: number;
}

const sent = (fake: FakeAnthropic, i = 0) => fake.requests[i]!.body as unknown as SentBody;

const extractRequest = (overrides: Partial<ExtractRequest> = {}): ExtractRequest => ({
  message: 'Me llamo Ana, mi celular es 9 8765 4321',
  history: [{ role: 'assistant', content: '¡Hola! ¿Cómo te llamas?' }],
  collected: {},
  flow: 'real_estate',
  ...overrides,
});

async function caught(promise: Promise<unknown>): Promise<LlmError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(LlmError);
    return err as LlmError;
  }
  throw new Error('expected the call to fail');
}

describe('AnthropicProvider against a fake Messages API', () => {
  let fake: FakeAnthropic;
  const make = (overrides: Partial<AnthropicProviderOptions> = {}) =>
    new AnthropicProvider({ apiKey: 'sk-ant-test', baseURL: fake.url, model: 'claude-sonnet-5-5', timeoutMs: 5_000, maxTokens: 777, ...overrides });

  beforeAll(async () => {
    fake = await startFakeAnthropic({ modelsRejectingForcedToolChoice: ['claude-sonnet-5-5', 'claude-opus-5-5'] });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  describe('reply', () => {
    it('sends the stable system block with cache_control, then the turn context, the model, max_tokens and the history', async () => {
      fake.script({ type: 'text', text: 'Hola Ana.' });
      const req = replyRequest({ listings: LISTINGS.slice(0, 2), passages: PASSAGES, collected: { name: 'Ana' } });
      await make().reply(req);

      expect(fake.requests).toHaveLength(1);
      const { headers } = fake.requests[0]!;
      expect(headers['x-api-key']).toBe('sk-ant-test');
      expect(headers.authorization).toBeUndefined();
      expect(headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(headers['x-stainless-retry-count']).toBe('0');
      const body = sent(fake);
      expect(body.model).toBe('claude-sonnet-5-5');
      expect(body.max_tokens).toBe(777);
      expect(body.stream).toBe(true);
      expect(body.system).toEqual([
        { type: 'text', text: buildStableSystemPrompt(req.profile), cache_control: { type: 'ephemeral' } },
        { type: 'text', text: buildDynamicContext(req) },
      ]);
      expect(body.system[1]!.text).toContain('<listing id="p-101">');
      expect(body.messages).toEqual(toApiMessages(req.history, req.message));
      expect(body.messages.at(-1)).toEqual({ role: 'user', content: req.message });
      // Sonnet 5.5: no up-front thinking for a chat reply, and no sampling parameters (they are a 400 there).
      expect(body.thinking).toEqual({ type: 'between_tools' });
      expect(body.temperature).toBeUndefined();
      expect(body.tools).toBeUndefined();
    });

    it('keeps the cached block byte-identical from turn to turn while the context changes', async () => {
      const provider = make();
      await provider.reply(replyRequest({ message: 'Hola', step: 'greeting' }));
      await provider.reply(replyRequest({ message: 'Busco en Ñuñoa', listings: LISTINGS, collected: { location: 'Ñuñoa' }, step: 'profiling' }));
      expect(sent(fake, 0).system[0]).toEqual(sent(fake, 1).system[0]);
      expect(sent(fake, 0).system[1]!.text).not.toBe(sent(fake, 1).system[1]!.text);
    });

    it('forwards text deltas to onToken in order and returns the whole text', async () => {
      const text = 'Tenemos dos departamentos en Las Condes que podrían interesarte.';
      fake.script({ type: 'text', text, chunks: 7, thinking: 'pensando…' });
      const deltas: string[] = [];
      const result = await make().reply(replyRequest(), async (delta) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        deltas.push(delta);
      });
      expect(deltas).toEqual(splitInto(text, 7));
      expect(result.text).toBe(text);
      expect(result).toMatchObject({ provider: 'anthropic', model: 'claude-sonnet-5-5' });
    });

    it('reports usage with cache reads and writes, and prices it', async () => {
      fake.script({ type: 'text', text: 'Listo.', usage: { input_tokens: 1000, output_tokens: 200, cache_read_input_tokens: 5000, cache_creation_input_tokens: 3000 } });
      const result = await make().reply(replyRequest());
      expect(result.usage).toEqual({ inputTokens: 1000, outputTokens: 200, cacheReadTokens: 5000, cacheWriteTokens: 3000 });
      // claude-sonnet-5-5: $2 in, $10 out, $2.50 cache write, $0.10 cache read per million.
      expect(result.costUsd).toBeCloseTo((1000 * 2 + 200 * 10 + 3000 * 2.5 + 5000 * 0.1) / 1e6, 12);
    });

    it('takes prices from the options, and records tokens at no cost for an unknown model', async () => {
      const usage = { input_tokens: 100, output_tokens: 10, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
      fake.script({ type: 'text', text: 'a', usage }, { type: 'text', text: 'b', usage });
      const priced = await make({ pricing: { input: 10, output: 100, cacheWrite: 0, cacheRead: 0 } }).reply(replyRequest());
      expect(priced.costUsd).toBeCloseTo((100 * 10 + 10 * 100) / 1e6, 12);
      const unknown = await make({ model: 'claude-future-9' }).reply(replyRequest());
      expect(unknown.costUsd).toBe(0);
      expect(unknown.usage).toMatchObject({ inputTokens: 100, outputTokens: 10 });
    });

    it.each([
      [429, 'rate_limit_error', 'rate_limited'],
      [529, 'overloaded_error', 'overloaded'],
      [500, 'api_error', 'server_error'],
      [503, 'api_error', 'server_error'],
    ])('makes exactly one request on %i and throws a retryable LlmError', async (status, errorType, code) => {
      fake.script({ type: 'error', status, errorType, retryAfterSeconds: status === 429 ? 7 : undefined });
      const deltas: string[] = [];
      const err = await caught(make().reply(replyRequest(), (d) => void deltas.push(d)));
      expect(fake.requests).toHaveLength(1);
      expect(err).toMatchObject({ retryable: true, status, code, requestId: fake.requests[0]!.requestId });
      if (status === 429) expect(err.retryAfterMs).toBe(7000);
      expect(deltas).toEqual([]);
    });

    it.each([
      [400, 'invalid_request_error', 'invalid_request'],
      [401, 'authentication_error', 'authentication'],
      [403, 'permission_error', 'permission'],
      [404, 'not_found_error', 'not_found'],
      [413, 'request_too_large', 'request_too_large'],
    ])('throws a non-retryable LlmError on %i', async (status, errorType, code) => {
      fake.script({ type: 'error', status, errorType, message: 'no' });
      const err = await caught(make().reply(replyRequest()));
      expect(fake.requests).toHaveLength(1);
      expect(err).toMatchObject({ retryable: false, status, code });
    });

    it('times out, retryably, when the API never answers', async () => {
      fake.script({ type: 'hang' });
      const started = Date.now();
      const err = await caught(make({ timeoutMs: 300 }).reply(replyRequest()));
      expect(err).toMatchObject({ retryable: true, code: 'timeout' });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(fake.requests).toHaveLength(1);
    });

    it('times out when a stream stalls after it started', async () => {
      fake.script({ type: 'stall', text: 'Hola, te cuento que', chunks: 4, afterChunks: 2 });
      const deltas: string[] = [];
      const err = await caught(make({ timeoutMs: 400 }).reply(replyRequest(), (d) => void deltas.push(d)));
      expect(err).toMatchObject({ retryable: true, code: 'timeout' });
      expect(deltas).toEqual(splitInto('Hola, te cuento que', 4).slice(0, 2));
      expect(fake.requests).toHaveLength(1);
    });

    it('treats an overloaded error in the middle of a stream as retryable', async () => {
      fake.script({ type: 'stream_error', text: 'Hola, te cuento', afterChunks: 1, errorType: 'overloaded_error' });
      const err = await caught(make().reply(replyRequest()));
      expect(err).toMatchObject({ retryable: true, code: 'overloaded' });
      expect(fake.requests).toHaveLength(1);
    });

    it('is cancelled by the caller, retryably (worker shutdown must not fail the conversation)', async () => {
      fake.script({ type: 'text', text: 'uno dos tres cuatro cinco', chunks: 5, chunkDelayMs: 50 });
      const controller = new AbortController();
      const err = await caught(
        make().reply(
          replyRequest(),
          (d) => {
            if (d) controller.abort();
          },
          controller.signal,
        ),
      );
      expect(err).toMatchObject({ code: 'aborted', retryable: true });
      await expect(make().reply(replyRequest(), undefined, AbortSignal.abort())).rejects.toMatchObject({ code: 'aborted' });
    });

    it("passes the caller's own onToken failure through unchanged", async () => {
      fake.script({ type: 'text', text: 'Hola Ana, ¿cómo estás?', chunks: 3 });
      const boom = new Error('websocket closed');
      await expect(
        make().reply(replyRequest(), () => {
          throw boom;
        }),
      ).rejects.toBe(boom);
    });
  });

  describe('extract', () => {
    it('forces the record_customer_info tool on models that accept it, and reads its input', async () => {
      fake.script({ type: 'tool', input: { name: 'Ana', phone: '9 8765 4321', language: 'es', wants_human: false } });
      const result = await make({ model: 'claude-sonnet-5' }).extract(extractRequest());
      const body = sent(fake);
      expect(body.model).toBe('claude-sonnet-5');
      expect(body.max_tokens).toBe(777);
      expect(body.tool_choice).toEqual({ type: 'tool', name: EXTRACTION_TOOL });
      expect(body.thinking).toBeUndefined();
      expect(body.tools).toHaveLength(1);
      expect(body.tools![0]!.name).toBe(EXTRACTION_TOOL);
      expect(Object.keys(body.tools![0]!.input_schema.properties)).toEqual(['name', 'phone', 'email', 'location', 'budget', 'property_type', 'size', 'timeline', 'language', 'wants_human']);
      expect(body.tools![0]!.input_schema.required).toEqual(['language', 'wants_human']);
      expect(body.system[0]).toMatchObject({ cache_control: { type: 'ephemeral' } });
      expect(body.messages).toHaveLength(1);
      expect(body.messages[0]!.content).toContain('Me llamo Ana');
      expect(result.info).toEqual({ name: 'Ana', phone: '+56987654321' });
      expect(result).toMatchObject({ language: 'es', wantsHuman: false });
      expect(result.usage.inputTokens).toBeGreaterThan(0);
      expect(result.costUsd).toBeGreaterThan(0);
    });

    it('lets Claude Sonnet 5.5 choose the tool, since it refuses a forced choice', async () => {
      fake.script({ type: 'tool', input: { budget: 'hasta 5.000 UF', language: 'es', wants_human: true }, thinking: 'El cliente da su presupuesto.' });
      const result = await make().extract(extractRequest({ message: 'Hasta 5.000 UF. Quiero hablar con un ejecutivo' }));
      expect(sent(fake).tool_choice).toEqual({ type: 'auto' });
      expect(sent(fake).thinking).toEqual({ type: 'between_tools' });
      expect(result.info).toEqual({ budget: 'hasta 5.000 UF' });
      expect(result.wantsHuman).toBe(true);
    });

    it('drops invalid fields and keeps the valid ones', async () => {
      fake.script({ type: 'tool', input: { name: 42, phone: 'call me', email: 'not-an-email', location: '  ', budget: 'USD 300k', size: 'x'.repeat(600), language: 'fr', wants_human: 'yes', invented: 'field' } });
      const result = await make({ model: 'claude-sonnet-5' }).extract(extractRequest({ message: 'Hi, my budget is USD 300k', history: [] }));
      expect(result.info).toEqual({ budget: 'USD 300k' });
      // Invalid language and wants_human fall back to the rules.
      expect(result.language).toBe('en');
      expect(result.wantsHuman).toBe(false);
      fake.script({ type: 'tool', input: { wants_human: 'yes' } });
      const asked = await make({ model: 'claude-sonnet-5' }).extract(extractRequest({ message: 'Quiero hablar con una persona', history: [] }));
      expect(asked).toMatchObject({ info: {}, language: 'es', wantsHuman: true });
    });

    it('falls back to the rules when the model answers without calling the tool', async () => {
      fake.script({ type: 'text', text: 'Claro, anotado.' });
      const result = await make().extract(extractRequest());
      expect(result.info).toEqual({ name: 'Ana', phone: '+56987654321' });
      expect(result.usage.outputTokens).toBeGreaterThan(0);
    });

    it('surfaces the API refusing a forced tool choice as a non-retryable error', async () => {
      const err = await caught(make({ traits: { forcedToolChoice: true } }).extract(extractRequest()));
      expect(err).toMatchObject({ retryable: false, status: 400, code: 'invalid_request' });
      expect(fake.requests).toHaveLength(1);
    });

    it('makes exactly one request on 429 and 529', async () => {
      fake.script({ type: 'error', status: 429, errorType: 'rate_limit_error', retryAfterSeconds: 2 });
      expect(await caught(make().extract(extractRequest()))).toMatchObject({ retryable: true, code: 'rate_limited', retryAfterMs: 2000 });
      expect(fake.requests).toHaveLength(1);
      fake.script({ type: 'error', status: 529, errorType: 'overloaded_error' });
      expect(await caught(make().extract(extractRequest()))).toMatchObject({ retryable: true, code: 'overloaded', status: 529 });
      expect(fake.requests).toHaveLength(2);
    });

    it('times out, retryably', async () => {
      fake.script({ type: 'hang' });
      expect(await caught(make({ timeoutMs: 300 }).extract(extractRequest()))).toMatchObject({ retryable: true, code: 'timeout' });
      expect(fake.requests).toHaveLength(1);
    });
  });

  it('reports an unreachable endpoint as a retryable connection error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const provider = new AnthropicProvider({ apiKey: 'k', baseURL: `http://127.0.0.1:${port}`, model: 'claude-sonnet-5-5', timeoutMs: 2_000, maxTokens: 10 });
    expect(await caught(provider.reply(replyRequest()))).toMatchObject({ retryable: true, code: 'connection' });
  });
});

describe('pricing and model traits', () => {
  it('prices dated snapshots as their alias and unknown models at nothing', () => {
    expect(pricingFor('claude-haiku-4-5-20251001')).toBe(DEFAULT_PRICING['claude-haiku-4-5']);
    expect(pricingFor('claude-future-9')).toBeUndefined();
    expect(costOf({ inputTokens: 1e6, outputTokens: 1e6, cacheReadTokens: 1e6, cacheWriteTokens: 1e6 }, undefined)).toBe(0);
    expect(costOf({ inputTokens: 1e6, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, DEFAULT_PRICING['claude-sonnet-5-5'])).toBe(2);
  });

  it('forces the tool only where the model accepts it', () => {
    expect(modelTraits('claude-sonnet-5-5').forcedToolChoice).toBe(false);
    expect(modelTraits('claude-opus-5-5').forcedToolChoice).toBe(false);
    expect(modelTraits('claude-fable-5-1').forcedToolChoice).toBe(false);
    expect(modelTraits('claude-sonnet-5').forcedToolChoice).toBe(true);
    expect(modelTraits('claude-haiku-4-5').forcedToolChoice).toBe(true);
    expect(modelTraits('claude-sonnet-5-50')).toEqual({ forcedToolChoice: true });
  });
});
