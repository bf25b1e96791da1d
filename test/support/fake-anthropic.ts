import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local stand-in for Anthropic's Messages API (`POST /v1/messages`) on 127.0.0.1, for tests and
 * benchmarks: JSON answers, SSE streams with the real event sequence, tool calls and failures,
 * scripted per request; every request recorded (headers and body).
 */

export interface FakeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export type FakeBehaviour =
  /** A text answer; streamed in `chunks` pieces when the request asks for a stream. */
  | { type: 'text'; text: string; chunks?: number; chunkDelayMs?: number; firstChunkDelayMs?: number; usage?: FakeUsage; thinking?: string }
  /** A tool call with this input, for the tool the request's tool_choice names (else its first tool), after `delayMs`. */
  | { type: 'tool'; input: Record<string, unknown>; chunks?: number; delayMs?: number; usage?: FakeUsage; thinking?: string }
  /** An HTTP error with the API's error body. */
  | { type: 'error'; status: number; errorType: string; message?: string; retryAfterSeconds?: number }
  /** Takes the request and never answers. */
  | { type: 'hang' }
  /** Streams `afterChunks` pieces of `text`, then goes silent without closing. */
  | { type: 'stall'; text: string; chunks?: number; afterChunks: number }
  /** Streams `afterChunks` pieces of `text`, then an SSE `error` event (as the API does when overloaded mid-stream). */
  | { type: 'stream_error'; text: string; chunks?: number; afterChunks: number; errorType: string; message?: string };

export interface RecordedRequest {
  /** The `request-id` header the fake answered with. */
  requestId: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  receivedAt: number;
  /**
   * performance.now() in this process: the body arrived, the first content delta was written (a
   * stream), the answer ended. Benchmarks subtract the fake's own time from what they measure.
   */
  timing: { received: number; firstDelta?: number; ended?: number };
}

export interface FakeAnthropicOptions {
  /** Models that answer a forced tool_choice (`any` or `tool`) with a 400, as Claude Sonnet 5.5 does. */
  modelsRejectingForcedToolChoice?: string[];
  /** What requests get once the script is used up. */
  defaultBehaviour?: FakeBehaviour;
}

export interface FakeAnthropic {
  /** Base URL for the SDK's `baseURL`. */
  url: string;
  requests: RecordedRequest[];
  /** Queues behaviours, one per coming request, in order. */
  script(...behaviours: FakeBehaviour[]): void;
  setDefault(behaviour: FakeBehaviour): void;
  /** Forgets recorded requests and queued behaviours. */
  reset(): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `text` in `n` non-empty pieces that concatenate to it. */
export function splitInto(text: string, n: number): string[] {
  const count = Math.max(1, Math.min(n, text.length));
  const size = Math.ceil(text.length / count);
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces.length > 0 ? pieces : [''];
}

function errorBody(type: string, message: string, requestId: string) {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  let queue: FakeBehaviour[] = [];
  let fallback: FakeBehaviour = options.defaultBehaviour ?? { type: 'text', text: 'OK' };
  const sockets = new Set<Socket>();
  let counter = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, Buffer.concat(chunks).toString('utf8'), res).catch(() => res.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): Promise<void> {
    const n = ++counter;
    const requestId = `req_fake_${n}`;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      body = {};
    }
    const timing: RecordedRequest['timing'] = { received: performance.now() };
    requests.push({ requestId, method: req.method ?? '', path: req.url ?? '', headers, body, receivedAt: Date.now(), timing });

    const sendJson = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId, ...extra });
      res.end(JSON.stringify(payload));
      timing.ended = performance.now();
    };
    const fail = (status: number, type: string, message: string, extra: Record<string, string> = {}) => sendJson(status, errorBody(type, message, requestId), extra);

    // Checks the real API makes before anything else, so a malformed request cannot pass a test.
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/v1/messages') return fail(404, 'not_found_error', `No route for ${req.method} ${req.url}`);
    if (!headers['x-api-key']) return fail(401, 'authentication_error', 'x-api-key header is required');
    if (!headers['anthropic-version']) return fail(400, 'invalid_request_error', 'anthropic-version header is required');
    if (typeof body.model !== 'string' || typeof body.max_tokens !== 'number' || !Array.isArray(body.messages) || body.messages.length === 0) {
      return fail(400, 'invalid_request_error', 'model, max_tokens and messages are required');
    }
    const tools = Array.isArray(body.tools) ? (body.tools as Array<{ name?: string }>) : [];
    const toolChoice = (body.tool_choice ?? null) as { type?: string; name?: string } | null;
    if (toolChoice?.type === 'tool' && !tools.some((t) => t.name === toolChoice.name)) return fail(400, 'invalid_request_error', `tool_choice names an unknown tool: ${toolChoice.name}`);
    if ((toolChoice?.type === 'tool' || toolChoice?.type === 'any') && options.modelsRejectingForcedToolChoice?.includes(body.model)) {
      return fail(400, 'invalid_request_error', `Forced tool use is not supported for ${body.model}; use tool_choice "auto".`);
    }

    const behaviour = queue.shift() ?? fallback;
    if (behaviour.type === 'hang') return;
    if (behaviour.type === 'error') {
      const extra: Record<string, string> = {};
      if (behaviour.retryAfterSeconds !== undefined) extra['retry-after'] = String(behaviour.retryAfterSeconds);
      if (behaviour.status === 429 || behaviour.status >= 500) extra['x-should-retry'] = 'true';
      return fail(behaviour.status, behaviour.errorType, behaviour.message ?? behaviour.errorType, extra);
    }

    const model = body.model;
    const messageId = `msg_fake_${n}`;
    const inputTokens = Math.ceil(raw.length / 4);
    const toolName = toolChoice?.type === 'tool' ? toolChoice.name! : (tools[0]?.name ?? 'tool');
    const isTool = behaviour.type === 'tool';
    const text = behaviour.type === 'tool' ? JSON.stringify(behaviour.input) : behaviour.text;
    const scriptedUsage = behaviour.type === 'text' || behaviour.type === 'tool' ? (behaviour.usage ?? {}) : {};
    const usage = {
      input_tokens: scriptedUsage.input_tokens ?? inputTokens,
      cache_creation_input_tokens: scriptedUsage.cache_creation_input_tokens ?? 0,
      cache_read_input_tokens: scriptedUsage.cache_read_input_tokens ?? 0,
      output_tokens: scriptedUsage.output_tokens ?? Math.max(1, Math.ceil(text.length / 4)),
    };
    const thinking = behaviour.type === 'text' || behaviour.type === 'tool' ? behaviour.thinking : undefined;
    const stopReason = isTool ? 'tool_use' : 'end_turn';

    if (body.stream !== true) {
      if (behaviour.type !== 'text' && behaviour.type !== 'tool') return fail(500, 'api_error', `${behaviour.type} needs a streaming request`);
      if (behaviour.type === 'tool' && behaviour.delayMs) await sleep(behaviour.delayMs);
      if (res.destroyed) return;
      const content: unknown[] = [];
      if (thinking) content.push({ type: 'thinking', thinking, signature: 'sig_fake' });
      content.push(isTool ? { type: 'tool_use', id: `toolu_fake_${n}`, name: toolName, input: (behaviour as { input: unknown }).input, caller: { type: 'direct' } } : { type: 'text', text, citations: null });
      return sendJson(200, {
        id: messageId,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        stop_details: null,
        container: null,
        diagnostics: null,
        usage: { ...usage, cache_creation: null, inference_geo: null, output_tokens_details: null, server_tool_use: null, service_tier: 'standard', speed: null },
      });
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'request-id': requestId });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('message_start', {
      type: 'message_start',
      message: { id: messageId, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
    });
    let index = 0;
    if (thinking) {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking } });
      send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: 'sig_fake' } });
      send('content_block_stop', { type: 'content_block_stop', index });
      index++;
    }
    send('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: isTool ? { type: 'tool_use', id: `toolu_fake_${n}`, name: toolName, input: {}, caller: { type: 'direct' } } : { type: 'text', text: '', citations: null },
    });
    send('ping', { type: 'ping' });

    const pieces = splitInto(text, 'chunks' in behaviour && behaviour.chunks !== undefined ? behaviour.chunks : 4);
    const limit = behaviour.type === 'stall' || behaviour.type === 'stream_error' ? behaviour.afterChunks : pieces.length;
    for (let i = 0; i < Math.min(limit, pieces.length); i++) {
      if (behaviour.type === 'text') {
        const wait = i === 0 ? (behaviour.firstChunkDelayMs ?? behaviour.chunkDelayMs ?? 0) : (behaviour.chunkDelayMs ?? 0);
        if (wait > 0) await sleep(wait);
      } else if (behaviour.type === 'tool' && i === 0 && behaviour.delayMs) {
        await sleep(behaviour.delayMs);
      }
      if (res.destroyed) return;
      send('content_block_delta', { type: 'content_block_delta', index, delta: isTool ? { type: 'input_json_delta', partial_json: pieces[i] } : { type: 'text_delta', text: pieces[i] } });
      if (i === 0) timing.firstDelta = performance.now();
    }
    if (behaviour.type === 'stall') return;
    if (behaviour.type === 'stream_error') {
      send('error', errorBody(behaviour.errorType, behaviour.message ?? behaviour.errorType, requestId));
      res.end();
      return;
    }
    send('content_block_stop', { type: 'content_block_stop', index });
    send('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
    send('message_stop', { type: 'message_stop' });
    res.end();
    timing.ended = performance.now();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...behaviours) => {
      queue.push(...behaviours);
    },
    setDefault: (behaviour) => {
      fallback = behaviour;
    },
    reset: () => {
      requests.length = 0;
      queue = [];
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
