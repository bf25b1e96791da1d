import Anthropic, { AnthropicError, APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { MessageCreateParamsBase, MessageParam, TextBlockParam, ThinkingConfigParam, Tool, ToolChoice, Usage as ApiUsage } from '@anthropic-ai/sdk/resources/messages';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';
import { abortedError, LlmError, type LlmErrorCode } from './errors';
import { buildDynamicContext, buildExtractionInput, buildExtractionSystemPrompt, buildStableSystemPrompt, FACT_DESCRIPTIONS, toApiMessages } from './prompt';
import { detectLanguage, detectWantsHuman, extractFacts } from './rules';
import { FLOW_FACTS, type CollectedInfo, type ExtractRequest, type ExtractResult, type Language, type LlmProvider, type ReplyRequest, type ReplyResult, type Usage } from './types';

/** USD per million tokens. */
export interface ModelPricing {
  input: number;
  output: number;
  /** Writing the prompt cache (5-minute entries, the ones this provider creates). */
  cacheWrite: number;
  cacheRead: number;
}

/**
 * List prices of the Claude API as published in October 2026, per million tokens. They change:
 * pass `pricing` to the provider to override them. A model not listed costs 0 (its tokens are
 * still recorded). Haiku 5.5's rates are those of prompts up to 100k tokens.
 */
export const DEFAULT_PRICING: Readonly<Record<string, ModelPricing>> = Object.freeze({
  'claude-sonnet-5-5': { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.1 },
  'claude-sonnet-5': { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.2 },
  'claude-opus-5-5': { input: 4, output: 20, cacheWrite: 5, cacheRead: 0.2 },
  'claude-opus-5': { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 },
  'claude-haiku-5-5': { input: 0.1, output: 0.5, cacheWrite: 0.125, cacheRead: 0.01 },
  'claude-sonnet-4-6': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-sonnet-4-5': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-haiku-4-5': { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
});

/** The price of a model id, dated snapshots (`claude-haiku-4-5-20251001`) priced as their alias. */
export function pricingFor(model: string, table: Readonly<Record<string, ModelPricing>> = DEFAULT_PRICING): ModelPricing | undefined {
  return table[model] ?? table[model.replace(/-\d{8}$/, '')];
}

export function costOf(usage: Usage, pricing: ModelPricing | undefined): number {
  if (!pricing) return 0;
  const usd =
    (usage.inputTokens * pricing.input + usage.outputTokens * pricing.output + usage.cacheWriteTokens * pricing.cacheWrite + usage.cacheReadTokens * pricing.cacheRead) / 1_000_000;
  return Math.round(usd * 1e9) / 1e9;
}

/**
 * Request settings that differ between models. Claude Sonnet 5.5, Opus 5.5, Fable and Mythos
 * answer a forced tool choice with a 400, so extraction lets them choose (with instructions to
 * call the tool) there. Sonnet 5.5 thinks up front by default; `between_tools` turns that off for
 * a chat's latency (it rejects `disabled`).
 */
export interface ModelTraits {
  forcedToolChoice: boolean;
  thinking?: ThinkingConfigParam;
}

export function modelTraits(model: string): ModelTraits {
  if (/^claude-sonnet-5-5(?![\d])/.test(model)) return { forcedToolChoice: false, thinking: { type: 'between_tools' } };
  if (/^claude-(?:opus-5-5|fable-5|mythos-5)(?![\d])/.test(model)) return { forcedToolChoice: false };
  return { forcedToolChoice: true };
}

export interface AnthropicProviderOptions {
  apiKey: string;
  /** Another endpoint speaking the Messages API (a proxy, or the fake server in tests). */
  baseURL?: string;
  model: string;
  /** Deadline for a whole call, streaming included. */
  timeoutMs: number;
  maxTokens: number;
  /** Overrides DEFAULT_PRICING for this model. */
  pricing?: ModelPricing;
  /** Region for phone numbers written without a country code. */
  defaultPhoneRegion?: CountryCode;
  /** Overrides modelTraits(model). */
  traits?: ModelTraits;
}

export const EXTRACTION_TOOL = 'record_customer_info';

function extractionTool(flow: ExtractRequest['flow']): Tool {
  const properties: Record<string, unknown> = {};
  for (const key of FLOW_FACTS[flow]) properties[key] = { type: 'string', description: FACT_DESCRIPTIONS[key] };
  properties.language = { type: 'string', enum: ['es', 'en'], description: 'language of the latest customer message' };
  properties.wants_human = { type: 'boolean', description: 'the customer asks to talk to a person or an agent' };
  return {
    name: EXTRACTION_TOOL,
    description: 'Records the facts the latest customer message states, its language and whether the customer asks for a person. Omit facts the message does not state.',
    input_schema: { type: 'object', properties, required: ['language', 'wants_human'] },
  };
}

const factValue = z.string().trim().min(1).max(500);
const languageValue = z.enum(['es', 'en']);

/** Keeps each valid field of the tool's input and drops the rest: one bad field loses only itself. */
export function parseExtraction(input: unknown, flow: ExtractRequest['flow'], region: CountryCode): { info: CollectedInfo; language?: Language; wantsHuman?: boolean } {
  const raw = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const info: CollectedInfo = {};
  for (const key of FLOW_FACTS[flow]) {
    const parsed = factValue.safeParse(raw[key]);
    if (!parsed.success) continue;
    if (key === 'phone') {
      const phone = parsePhoneNumberFromString(parsed.data, region);
      if (phone?.isValid()) info.phone = phone.number;
    } else if (key === 'email') {
      const email = z.email().safeParse(parsed.data.toLowerCase());
      if (email.success) info.email = email.data;
    } else {
      info[key] = parsed.data;
    }
  }
  const language = languageValue.safeParse(raw.language);
  const wantsHuman = z.boolean().safeParse(raw.wants_human);
  return { info, ...(language.success ? { language: language.data } : {}), ...(wantsHuman.success ? { wantsHuman: wantsHuman.data } : {}) };
}

function usageFrom(u: Pick<ApiUsage, 'input_tokens' | 'output_tokens' | 'cache_read_input_tokens' | 'cache_creation_input_tokens'>): Usage {
  return {
    inputTokens: u.input_tokens,
    outputTokens: u.output_tokens,
    cacheReadTokens: u.cache_read_input_tokens ?? 0,
    cacheWriteTokens: u.cache_creation_input_tokens ?? 0,
  };
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

const STATUS_CODES: Record<number, { code: LlmErrorCode; retryable: boolean }> = {
  400: { code: 'invalid_request', retryable: false },
  401: { code: 'authentication', retryable: false },
  402: { code: 'billing', retryable: false },
  403: { code: 'permission', retryable: false },
  404: { code: 'not_found', retryable: false },
  408: { code: 'timeout', retryable: true },
  413: { code: 'request_too_large', retryable: false },
  422: { code: 'invalid_request', retryable: false },
  429: { code: 'rate_limited', retryable: true },
  529: { code: 'overloaded', retryable: true },
};

/** Error types the API sends in a stream's `error` event, where there is no status. */
const STREAM_ERROR_TYPES: Record<string, { code: LlmErrorCode; retryable: boolean }> = {
  overloaded_error: { code: 'overloaded', retryable: true },
  rate_limit_error: { code: 'rate_limited', retryable: true },
  api_error: { code: 'server_error', retryable: true },
  timeout_error: { code: 'timeout', retryable: true },
  invalid_request_error: { code: 'invalid_request', retryable: false },
  authentication_error: { code: 'authentication', retryable: false },
  permission_error: { code: 'permission', retryable: false },
  not_found_error: { code: 'not_found', retryable: false },
  request_too_large: { code: 'request_too_large', retryable: false },
  billing_error: { code: 'billing', retryable: false },
};

/** Maps whatever the SDK threw to an LlmError; `deadline` and `cancelled` say which of our signals fired. */
export function toLlmError(err: unknown, state: { deadline: boolean; cancelled: boolean; timeoutMs: number }): LlmError {
  if (err instanceof LlmError) return err;
  if (state.cancelled) return abortedError(err);
  if (state.deadline || err instanceof APIConnectionTimeoutError) {
    return new LlmError(`The language model did not answer within ${state.timeoutMs} ms`, { code: 'timeout', retryable: true, cause: err });
  }
  if (err instanceof APIUserAbortError) return abortedError(err);
  if (err instanceof APIConnectionError) return new LlmError(`Could not reach the language model: ${err.message}`, { code: 'connection', retryable: true, cause: err });
  if (err instanceof APIError) {
    const requestId = err.requestID ?? undefined;
    const extra = { ...(requestId ? { requestId } : {}), cause: err };
    if (typeof err.status === 'number') {
      const known = STATUS_CODES[err.status] ?? (err.status >= 500 ? { code: 'server_error' as const, retryable: true } : { code: 'invalid_request' as const, retryable: false });
      const wait = err.status === 429 || err.status === 529 ? retryAfterMs(err.headers) : undefined;
      return new LlmError(err.message, { ...known, status: err.status, ...(wait !== undefined ? { retryAfterMs: wait } : {}), ...extra });
    }
    const known = (err.type && STREAM_ERROR_TYPES[err.type]) || { code: 'server_error' as const, retryable: true };
    return new LlmError(err.message, { ...known, ...extra });
  }
  // The SDK's own failures (an unreadable stream chunk, say) are worth another attempt; a bug here is not.
  if (err instanceof AnthropicError || err instanceof SyntaxError) return new LlmError(err.message, { code: 'incomplete_response', retryable: true, cause: err });
  return new LlmError(err instanceof Error ? err.message : String(err), { code: 'internal', retryable: false, cause: err });
}

/**
 * A deadline for a whole call and the caller's cancellation, as one signal for the SDK. The SDK's
 * own timeout stops at the response headers; a stream that stalls afterwards needs this one.
 */
class CallScope {
  readonly controller = new AbortController();
  deadline = false;
  cancelled = false;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = () => {
    this.cancelled = true;
    this.controller.abort();
  };

  constructor(
    readonly timeoutMs: number,
    private readonly outer?: AbortSignal,
  ) {
    this.timer = setTimeout(() => {
      this.deadline = true;
      this.controller.abort();
    }, timeoutMs);
    if (outer?.aborted) this.onAbort();
    else outer?.addEventListener('abort', this.onAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Throws when the call was cut short, even if the SDK ended the stream quietly. */
  check(): void {
    if (this.signal.aborted) throw toLlmError(new APIUserAbortError(), this);
  }

  close(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onAbort);
  }
}

/**
 * Claude through the Messages API. The SDK does not retry (Temporal retries the activity, with
 * backoff and a budget the workflow controls); every failure comes out as an LlmError.
 */
export class AnthropicProvider implements LlmProvider {
  readonly name = 'anthropic';
  readonly model: string;
  private readonly client: Anthropic;
  private readonly timeoutMs: number;
  private readonly maxTokens: number;
  private readonly pricing: ModelPricing | undefined;
  private readonly region: CountryCode;
  private readonly traits: ModelTraits;

  constructor(options: AnthropicProviderOptions) {
    this.model = options.model;
    this.timeoutMs = options.timeoutMs;
    this.maxTokens = options.maxTokens;
    this.pricing = options.pricing ?? pricingFor(options.model);
    this.region = options.defaultPhoneRegion ?? 'CL';
    this.traits = options.traits ?? modelTraits(options.model);
    this.client = new Anthropic({
      // Passing the key keeps the SDK from looking for credentials in the environment or on disk.
      apiKey: options.apiKey,
      // SDK 1.12.0 sends a key as `Authorization: Bearer`, but the Messages API authenticates keys
      // by `x-api-key` (answering 401 otherwise), so send that header and drop the other.
      defaultHeaders: { 'X-Api-Key': options.apiKey, Authorization: null },
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
      maxRetries: 0,
      timeout: options.timeoutMs,
    });
  }

  async extract(req: ExtractRequest, signal?: AbortSignal): Promise<ExtractResult> {
    const toolChoice: ToolChoice = this.traits.forcedToolChoice ? { type: 'tool', name: EXTRACTION_TOOL } : { type: 'auto' };
    const body: MessageCreateParamsBase = {
      model: this.model,
      max_tokens: this.maxTokens,
      system: [{ type: 'text', text: buildExtractionSystemPrompt(req.flow), cache_control: { type: 'ephemeral' } }],
      tools: [extractionTool(req.flow)],
      tool_choice: toolChoice,
      messages: [{ role: 'user', content: buildExtractionInput(req) }],
      ...(this.traits.thinking ? { thinking: this.traits.thinking } : {}),
    };
    const scope = new CallScope(this.timeoutMs, signal);
    try {
      const message = await this.client.messages.create({ ...body, stream: false }, { signal: scope.signal });
      scope.check();
      const usage = usageFrom(message.usage);
      const call = message.content.find((b) => b.type === 'tool_use' && b.name === EXTRACTION_TOOL);
      const language = detectLanguage(req.message, req.history);
      if (!call || call.type !== 'tool_use') {
        // Without a forced tool choice the model may answer in prose; the rules still read the message.
        return { info: extractFacts(req.message, req.history, req.flow, this.region), language, wantsHuman: detectWantsHuman(req.message), usage, costUsd: costOf(usage, this.pricing) };
      }
      const parsed = parseExtraction(call.input, req.flow, this.region);
      return { info: parsed.info, language: parsed.language ?? language, wantsHuman: parsed.wantsHuman ?? detectWantsHuman(req.message), usage, costUsd: costOf(usage, this.pricing) };
    } catch (err) {
      throw toLlmError(err, scope);
    } finally {
      scope.close();
    }
  }

  async reply(req: ReplyRequest, onToken?: (delta: string) => void | Promise<void>, signal?: AbortSignal): Promise<ReplyResult> {
    const system: TextBlockParam[] = [
      { type: 'text', text: buildStableSystemPrompt(req.profile), cache_control: { type: 'ephemeral' } },
      { type: 'text', text: buildDynamicContext(req) },
    ];
    const messages: MessageParam[] = toApiMessages(req.history, req.message);
    const body: MessageCreateParamsBase = {
      model: this.model,
      max_tokens: this.maxTokens,
      system,
      messages,
      ...(this.traits.thinking ? { thinking: this.traits.thinking } : {}),
    };
    const scope = new CallScope(this.timeoutMs, signal);
    let callbackFailure: { error: unknown } | undefined;
    try {
      const stream = await this.client.messages.create({ ...body, stream: true }, { signal: scope.signal });
      let text = '';
      let usage: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
      let stopped = false;
      for await (const event of stream) {
        if (event.type === 'message_start') {
          usage = usageFrom(event.message.usage);
        } else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
          text += event.delta.text;
          try {
            await onToken?.(event.delta.text);
          } catch (error) {
            // The caller's own failure: leave it as it is rather than dress it as the model's.
            callbackFailure = { error };
            throw error;
          }
        } else if (event.type === 'message_delta') {
          // Counts in message_delta are cumulative; input counts may be absent there.
          usage = {
            inputTokens: event.usage.input_tokens ?? usage.inputTokens,
            outputTokens: event.usage.output_tokens,
            cacheReadTokens: event.usage.cache_read_input_tokens ?? usage.cacheReadTokens,
            cacheWriteTokens: event.usage.cache_creation_input_tokens ?? usage.cacheWriteTokens,
          };
        } else if (event.type === 'message_stop') {
          stopped = true;
        }
      }
      scope.check();
      if (!stopped) throw new LlmError('The language model stream ended before message_stop', { code: 'incomplete_response', retryable: true });
      return { text, usage, costUsd: costOf(usage, this.pricing), provider: this.name, model: this.model };
    } catch (err) {
      if (callbackFailure && err === callbackFailure.error) throw err;
      throw toLlmError(err, scope);
    } finally {
      scope.close();
    }
  }
}
