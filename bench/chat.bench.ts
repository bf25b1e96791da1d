/**
 * Chat turns through the durable path, against the Temporal server's own floor, in one run:
 *
 * 1. Turn latency: `sendMessage` (update-with-start on the chatSession workflow) with the offline
 *    provider, real Postgres and Elasticsearch retrieval over a seeded tenant, at 1 and 32
 *    concurrent sessions, each session sending its turns one after another. Sessions have the same
 *    shape at both concurrencies (the first turn starts the workflow), so their figures compare.
 * 2. The baseline on the same server: an update on a workflow whose handler returns at once
 *    (bench/workflows/noop-update.ts, bundled here only), by update-with-start on every message as
 *    `sendMessage` does, and by `executeUpdate` after an update-with-start first message.
 * 3. Time to first token over SSE from the API served in-process, with the Anthropic provider
 *    pointed at a local fake Messages API, minus the fake's own time for the two model calls a
 *    turn makes (the extraction tool call, then the streamed reply).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import pino from 'pino';
import { AuthService } from '../src/auth/service';
import { resolveTurnTarget, sendMessage, type TurnTarget } from '../src/chat/service';
import type { Config } from '../src/config';
import { leadWorkflowId } from '../src/contracts/lead-qualification';
import { TENANT_FILTER } from '../src/db/orm';
import { createEmbedder } from '../src/embeddings';
import { EventListener } from '../src/events/listener';
import { createApp } from '../src/http/app';
import type { AppDeps } from '../src/http/deps';
import { createSearchClient } from '../src/search/client';
import { retrieve } from '../src/search/retrieve';
import { createTemporal } from '../src/temporal/client';
import { startFakeAnthropic, type FakeBehaviour, type RecordedRequest } from '../test/support/fake-anthropic';
import { round, summarize, type BenchResult } from './lib';
import { benchEnvironment } from './setup';
import { benchWorker } from './worker';
import { noopUpdate, pingUpdate } from './workflows/noop-update';

// Sized to keep the run near five minutes on a local dev server, whose SQLite store takes every
// history write in turn; larger runs: BENCH_CHAT_TURNS, BENCH_CHAT_C1_SESSIONS, BENCH_CHAT_C1_BUDGET_S.
const TURNS = Number(process.env.BENCH_CHAT_TURNS ?? 3);
const C1_SESSIONS = Number(process.env.BENCH_CHAT_C1_SESSIONS ?? 16);
// A slow shared server can make one-at-a-time turns take seconds; stop adding sessions after this.
const C1_BUDGET_MS = Number(process.env.BENCH_CHAT_C1_BUDGET_S ?? 100) * 1000;
const C1_MIN_SESSIONS = 6;
const C32 = 32;
const WARMUP_SESSIONS = 4;
const SSE_SESSIONS = 3;
const SSE_TURNS = 10;
const RETRIEVALS = 60;

// The fake's timing: the extraction call answers after EXTRACT_MS, the streamed reply's first
// chunk comes FIRST_CHUNK_MS after its request, then one every CHUNK_MS.
const EXTRACT_MS = 100;
const FIRST_CHUNK_MS = 200;
const CHUNK_MS = 20;
const EXTRACTION: FakeBehaviour = { type: 'tool', input: { language: 'es', wants_human: false }, delayMs: EXTRACT_MS };
const REPLY: FakeBehaviour = {
  type: 'text',
  text: '¡Hola! Soy Sofía. Tenemos departamentos de 2 dormitorios en Las Condes desde 850.000 pesos al mes, varios con estacionamiento. ¿Te gustaría coordinar una visita esta semana?',
  chunks: 12,
  firstChunkDelayMs: FIRST_CHUNK_MS,
  chunkDelayMs: CHUNK_MS,
};

const COMUNAS = ['Las Condes', 'Providencia', 'Ñuñoa', 'Vitacura', 'La Reina', 'Santiago Centro'];
const TYPES = [
  { type: 'apartment', word: 'Departamento' },
  { type: 'house', word: 'Casa' },
  { type: 'office', word: 'Oficina' },
];
const KB = [
  { title: 'Política de mascotas', content: 'Aceptamos mascotas pequeñas en la mayoría de los departamentos en arriendo. Los edificios de Las Condes y Providencia permiten perros y gatos con un depósito adicional de medio mes.' },
  { title: 'Documentos para arrendar', content: 'Para arrendar necesitas tu cédula de identidad, las tres últimas liquidaciones de sueldo y un certificado de cotizaciones de AFP. Los trabajadores independientes presentan su declaración de renta.' },
  { title: 'Horario de visitas', content: 'Las visitas se coordinan de lunes a sábado entre las 10:00 y las 19:00. Un agente te acompaña en cada visita y puede mostrarte varias propiedades el mismo día.' },
  { title: 'Comisión de corretaje', content: 'La comisión de corretaje es de medio mes de arriendo más IVA en los arriendos y del 2% del precio en las compraventas.' },
  { title: 'Financiamiento', content: 'Trabajamos con bancos que financian hasta el 80% del valor de la propiedad y te ayudamos a obtener la preaprobación del crédito hipotecario.' },
  { title: 'Casas con jardín', content: 'Las casas de Ñuñoa y La Reina suelen tener jardín y patio; algunas incluyen quincho y estacionamiento para dos autos.' },
];
const FIRST_NAMES = ['Ana', 'Bruno', 'Carla', 'Diego', 'Elena', 'Felipe', 'Gloria', 'Hugo', 'Isabel', 'Javier', 'Laura', 'Martín'];
const LAST_NAMES = ['Pérez', 'Soto', 'Rojas', 'Muñoz', 'Díaz', 'Contreras', 'Silva', 'Morales'];

/**
 * A customer's first `turns` messages: an opening search, then a rotating pick of questions the
 * seeded listings and knowledge answer and facts about the customer.
 */
function conversation(person: number, turns: number): string[] {
  const name = `${FIRST_NAMES[person % FIRST_NAMES.length]} ${LAST_NAMES[Math.floor(person / FIRST_NAMES.length) % LAST_NAMES.length]}`;
  const phone = String(61_000_000 + person).replace(/^(\d{4})(\d{4})$/, '$1 $2');
  const messages = [
    'Hola, busco un departamento de 2 dormitorios en Las Condes',
    `Me llamo ${name}`,
    '¿Aceptan mascotas en los departamentos?',
    'Mi presupuesto es de 900.000 pesos al mes',
    '¿Qué documentos necesito para arrendar?',
    `Mi correo es cliente${person}@example.com`,
    '¿Tienen casas en Ñuñoa con jardín?',
    'Lo necesito para marzo',
    '¿Cuál es el horario de visitas?',
    `Mi teléfono es +56 9 ${phone}`,
  ];
  const rest = messages.slice(1);
  return [messages[0]!, ...Array.from({ length: Math.max(0, turns - 1) }, (_, i) => rest[(person * 2 + i) % rest.length]!)];
}

const progress = (started: number, what: string) => console.error(`[chat bench ${((performance.now() - started) / 1000).toFixed(0)}s] ${what}`);

type SessionRun = (session: number, record: (ms: number) => void) => Promise<void>;
interface Measured {
  samples: number[];
  wallMs: number;
}

/** Runs `sessions` sessions, `lanes` at a time; returns every turn's time and the wall time. */
async function drive(sessions: number, lanes: number, run: SessionRun): Promise<Measured> {
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(lanes, sessions) }, async () => {
      while (next < sessions) await run(next++, (ms) => samples.push(ms));
    }),
  );
  return { samples, wallMs: performance.now() - started };
}

/**
 * One session of each variant in turn, one at a time, until `sessions` rounds or the time budget
 * (after at least `minSessions`). The Temporal server is shared and its load drifts; alternating
 * puts every variant under the same conditions.
 */
async function interleave(sessions: number, minSessions: number, budgetMs: number, runs: Record<string, SessionRun>): Promise<Record<string, Measured>> {
  const out: Record<string, Measured> = Object.fromEntries(Object.keys(runs).map((k) => [k, { samples: [], wallMs: 0 }]));
  const started = performance.now();
  for (let s = 0; s < sessions && (s < minSessions || performance.now() - started < budgetMs); s++) {
    for (const [key, run] of Object.entries(runs)) {
      const sessionStarted = performance.now();
      await run(s, (ms) => out[key]!.samples.push(ms));
      out[key]!.wallMs += performance.now() - sessionStarted;
    }
  }
  return out;
}

const merge = (a: Measured, b: Measured): Measured => ({ samples: [...a.samples, ...b.samples], wallMs: a.wallMs + b.wallMs });

const row = (label: string, concurrency: number, r: Measured) => ({
  ...summarize(label, r.samples),
  concurrency,
  turns_per_s: round(r.samples.length / (r.wallMs / 1000), 1),
});

/** A worker for the baseline workflow alone, on a task queue of its own. */
async function noopWorker(config: Config): Promise<{ client: Client; taskQueue: string; stop(): Promise<void> }> {
  const taskQueue = `bench-noop-${randomUUID()}`;
  const temporal = createTemporal({ ...config, TEMPORAL_TASK_QUEUE: taskQueue });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const noop = () => undefined;
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows/noop-update'), logger: { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop } });
  const worker = await Worker.create({ connection, namespace: config.TEMPORAL_NAMESPACE, taskQueue, workflowBundle: bundle });
  const running = worker.run();
  return {
    client: temporal.client,
    taskQueue,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await temporal.connection.close();
    },
  };
}

interface StreamedTurn {
  started: number;
  firstToken: number;
  ended: number;
  done: { session_id: string; lead_id: string; response: string };
}

/** One POST /api/v1/chat/stream, timed to the first `data: {"token"` byte and to the end. */
function streamTurn(base: string, token: string, body: Record<string, unknown>): Promise<StreamedTurn> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const started = performance.now();
    const req = http.request(`${base}/api/v1/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${token}` } }, (res) => {
      res.setEncoding('utf8');
      let text = '';
      let firstToken = NaN;
      res.on('data', (chunk: string) => {
        // The marker may straddle two chunks, hence the search over what came before too.
        if (Number.isNaN(firstToken) && (text.slice(-20) + chunk).includes('data: {"token"')) firstToken = performance.now();
        text += chunk;
      });
      res.on('error', reject);
      res.on('end', () => {
        const ended = performance.now();
        const events = text
          .split('\n\n')
          .filter((b) => b.startsWith('data: '))
          .map((b) => JSON.parse(b.slice(6)) as Record<string, unknown>);
        const done = events.find((e) => e.done === true);
        if (res.statusCode !== 200 || !done || Number.isNaN(firstToken)) return reject(new Error(`stream answered ${res.statusCode}: ${text.slice(0, 300)}`));
        resolve({ started, firstToken, ended, done: done as unknown as StreamedTurn['done'] });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Ends every workflow the run left open on these task queues (sessions, their leads' workflows,
 * the no-op ones), so none waits on a worker that is gone: one batch job the server works through
 * in the background, or one termination each when it refuses the batch (one runs per namespace).
 */
async function terminateOpen(client: Client, namespace: string, taskQueues: string[]): Promise<void> {
  const query = `(${taskQueues.map((q) => `TaskQueue = '${q}'`).join(' OR ')}) AND ExecutionStatus = 'Running'`;
  try {
    await client.workflowService.startBatchOperation({ namespace, jobId: `bench-cleanup-${randomUUID()}`, visibilityQuery: query, reason: 'benchmark finished', terminationOperation: {} });
    return;
  } catch {
    /* one at a time below */
  }
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < ids.length) await client.workflow.getHandle(ids[next++]!).terminate('benchmark finished').catch(() => undefined);
    }),
  );
}

export default async function bench(): Promise<BenchResult> {
  const benchStarted = performance.now();
  const loadAtStart = os.loadavg()[0]!;
  try {
    // Worker lifecycle lines at INFO would bury the table; a runtime made by an earlier bench stays.
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    /* already installed */
  }
  const env = await benchEnvironment();
  const orm = env.orm;
  // One bench user makes every request; the per-user limit would otherwise throttle the run.
  const config: Config = { ...env.config, RATE_LIMIT_PER_MINUTE: 1_000_000, AUTH_RATE_LIMIT_PER_MINUTE: 1_000_000 };
  const logger = pino({ level: 'warn' });
  const es = createSearchClient(config);
  const fake = await startFakeAnthropic({ defaultBehaviour: REPLY });
  const offline = await benchWorker({ ...config, ANTHROPIC_API_KEY: undefined, OFFLINE_LLM_TOKEN_DELAY_MS: 0 }, orm, es);
  const claude = await benchWorker({ ...config, ANTHROPIC_API_KEY: 'sk-ant-bench', ANTHROPIC_BASE_URL: fake.url }, orm, es);
  const baseline = await noopWorker(config);
  const events = new EventListener(config.DATABASE_URL, logger);
  await events.start();
  const deps: AppDeps = { config, logger, orm, es, temporal: claude.temporal, events, auth: new AuthService(config) };
  const server = http.createServer(createApp(deps).callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  try {
    // The tenant, through the API: listings and knowledge entries indexed before anything is timed.
    const call = async <T>(method: string, path: string, body: unknown, token?: string): Promise<T> => {
      const res = await fetch(`${api}${path}`, { method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
      return (await res.json()) as T;
    };
    const { access_token: token } = await call<{ access_token: string }>('POST', '/auth/register', { email: `bench-${randomUUID()}@example.com`, password: 'Bench1234!', broker_name: 'Bench chat' });
    const { broker_id: tenantId } = await call<{ broker_id: string }>('GET', '/auth/me', undefined, token);
    const listings = COMUNAS.flatMap((city, c) =>
      TYPES.map((t, k) => {
        const rent = (c + k) % 2 === 0;
        const bedrooms = t.type === 'office' ? null : 1 + ((c + k) % 4);
        return {
          unique_id: `BENCH-${c}-${k}`,
          title: `${t.word}${bedrooms ? ` ${bedrooms} dormitorios` : ''} en ${city}`,
          city,
          property_type: t.type,
          listing_type: rent ? 'rent' : 'sale',
          ...(rent ? { monthly_rent: 600_000 + 50_000 * (c + k) } : { price: 3500 + 400 * (c + k) }),
          bedrooms,
          size_sf: 600 + 120 * k,
          description: `${t.word} luminoso en ${city}, cerca del metro${k % 2 ? ', con estacionamiento y bodega' : ', acepta mascotas'}${t.type === 'house' ? ', con jardín' : ''}.`,
        };
      }),
    );
    let seeded = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (seeded < listings.length) await call('POST', '/api/v1/properties', listings[seeded++], token);
      }),
    );
    for (const entry of KB) await call('POST', '/api/v1/kb', { ...entry, category: 'faq' }, token);
    progress(benchStarted, `seeded ${listings.length} listings and ${KB.length} knowledge entries`);

    // 1 and 2: chat turns and the no-op update, alternated per concurrency on the same server.
    const chatDeps: AppDeps = { ...deps, temporal: offline.temporal };
    let person = 0;
    let turns = 0;
    let grounded = 0;
    const chatTargets: TurnTarget[] = [];
    const chatRun = async (sessions: number): Promise<SessionRun> => {
      const targets: TurnTarget[] = [];
      for (let i = 0; i < sessions; i++) {
        const em = orm.em.fork();
        em.setFilterParams(TENANT_FILTER, { tenantId });
        targets.push(await resolveTurnTarget(em, { tenantId, channel: 'webchat' }));
      }
      chatTargets.push(...targets);
      return async (s, record) => {
        for (const text of conversation(person++, TURNS)) {
          const t0 = performance.now();
          const reply = await sendMessage(chatDeps, targets[s]!, { messageId: randomUUID(), text });
          record(performance.now() - t0);
          turns += 1;
          if (reply.sources.passages.length + reply.sources.listings.length > 0) grounded += 1;
        }
      };
    };
    const noopIds: string[] = [];
    let historyEvents = { chat: 0, lead: 0, noop: 0 };
    const noopRun = (everyMessageWithStart: boolean): SessionRun => async (_s, record) => {
      const workflowId = `bench-noop-${randomUUID()}`;
      noopIds.push(workflowId);
      for (let i = 0; i < TURNS; i++) {
        const messageId = randomUUID();
        const t0 = performance.now();
        if (i === 0 || everyMessageWithStart) {
          const startWorkflowOperation = new WithStartWorkflowOperation(noopUpdate, { workflowId, taskQueue: baseline.taskQueue, workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING });
          await baseline.client.workflow.executeUpdateWithStart(pingUpdate, { args: [messageId], startWorkflowOperation });
        } else {
          await baseline.client.workflow.getHandle(workflowId).executeUpdate(pingUpdate, { args: [messageId] });
        }
        record(performance.now() - t0);
      }
    };

    await drive(WARMUP_SESSIONS, WARMUP_SESSIONS, noopRun(true));
    await drive(WARMUP_SESSIONS, WARMUP_SESSIONS, noopRun(false));
    await drive(WARMUP_SESSIONS, WARMUP_SESSIONS, await chatRun(WARMUP_SESSIONS));
    const warmedTurns = turns;

    progress(benchStarted, 'warmed up');

    // Concurrency 1: a chat session, then a session of each no-op variant, and again.
    const firstChat = chatTargets.length;
    const c1 = await interleave(C1_SESSIONS, C1_MIN_SESSIONS, C1_BUDGET_MS, { chat: await chatRun(C1_SESSIONS), uws: noopRun(true), update: noopRun(false) });
    progress(benchStarted, 'concurrency 1 measured');
    // What the server stores for a session: its history and its lead's, against the no-op's.
    const historyLength = async (client: Client, workflowId: string) => (await client.workflow.getHandle(workflowId).fetchHistory()).events?.length ?? 0;
    const { session: firstSession, lead: firstLead } = chatTargets[firstChat]!;
    historyEvents = {
      chat: await historyLength(offline.temporal.client, firstSession.workflowId),
      lead: await historyLength(offline.temporal.client, leadWorkflowId(tenantId, firstLead.id)),
      noop: await historyLength(baseline.client, noopIds.at(-1)!),
    };
    // Concurrency 32 cannot alternate by session: the no-op runs before and after the chat instead.
    const uwsBefore = await drive(C32, C32, noopRun(true));
    const updateBefore = await drive(C32, C32, noopRun(false));
    const chat32 = await drive(C32, C32, await chatRun(C32));
    const uwsAfter = await drive(C32, C32, noopRun(true));
    const updateAfter = await drive(C32, C32, noopRun(false));
    progress(benchStarted, `concurrency ${C32} measured`);
    const measured: Record<string, Measured> = {
      chat_c1: c1.chat!,
      noop_uws_c1: c1.uws!,
      noop_update_c1: c1.update!,
      [`chat_c${C32}`]: chat32,
      [`noop_uws_c${C32}`]: merge(uwsBefore, uwsAfter),
      [`noop_update_c${C32}`]: merge(updateBefore, updateAfter),
    };
    const groundedShare = grounded / turns;

    // 3: time to first token over SSE with the Anthropic provider against the fake.
    const retrieval: number[] = [];
    const searchDeps = { es, embedder: createEmbedder(config), prefix: config.ELASTICSEARCH_INDEX_PREFIX };
    for (let i = 0; i < RETRIEVALS; i++) {
      const t0 = performance.now();
      await retrieve(searchDeps, { tenantId, query: conversation(i, SSE_TURNS)[i % SSE_TURNS]!, k: 4 });
      if (i >= 10) retrieval.push(performance.now() - t0);
    }
    // A no-op update after each streamed turn: the server's round trip under the same conditions.
    const sseNoop: number[] = [];
    const sseNoopWorkflow = `bench-noop-${randomUUID()}`;
    const sse = { ttft: [] as number[], overhead: [] as number[], overConfigured: [] as number[], toExtract: [] as number[], extract: [] as number[], between: [] as number[], firstChunk: [] as number[], toClient: [] as number[], whole: [] as number[] };
    for (let s = -1; s < SSE_SESSIONS; s++) {
      let ids: { session_id?: string; lead_id?: string } = {};
      for (const text of conversation(person++, s < 0 ? 3 : SSE_TURNS)) {
        fake.script(EXTRACTION);
        const before = fake.requests.length;
        const turn = await streamTurn(api, token, { message: text, ...ids });
        ids = { session_id: turn.done.session_id, lead_id: turn.done.lead_id };
        const calls = fake.requests.slice(before);
        const [extraction, reply] = calls as [RecordedRequest, RecordedRequest];
        if (calls.length !== 2 || !Array.isArray(extraction.body.tools) || reply.body.stream !== true) throw new Error(`expected an extraction then a streamed reply, the fake saw ${calls.length} requests`);
        if (s < 0) continue; // the first session warms the path
        const extractMs = extraction.timing.ended! - extraction.timing.received;
        const firstChunkMs = reply.timing.firstDelta! - reply.timing.received;
        const ttft = turn.firstToken - turn.started;
        sse.ttft.push(ttft);
        sse.overhead.push(ttft - extractMs - firstChunkMs);
        sse.overConfigured.push(ttft - EXTRACT_MS - FIRST_CHUNK_MS);
        sse.toExtract.push(extraction.timing.received - turn.started);
        sse.extract.push(extractMs);
        sse.between.push(reply.timing.received - extraction.timing.ended!);
        sse.firstChunk.push(firstChunkMs);
        sse.toClient.push(turn.firstToken - reply.timing.firstDelta!);
        sse.whole.push(turn.ended - turn.started);
        const noopStarted = performance.now();
        const startWorkflowOperation = new WithStartWorkflowOperation(noopUpdate, { workflowId: sseNoopWorkflow, taskQueue: baseline.taskQueue, workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING });
        await baseline.client.workflow.executeUpdateWithStart(pingUpdate, { args: [randomUUID()], startWorkflowOperation });
        sseNoop.push(performance.now() - noopStarted);
      }
    }
    progress(benchStarted, 'time to first token measured');

    const p50 = (xs: number[]) => Number(summarize('', xs).p50_ms);
    const p99 = (xs: number[]) => Number(summarize('', xs).p99_ms);
    const rows = [
      row('chat turn: sendMessage (update-with-start → beginTurn → generateReply → completeTurn)', 1, measured.chat_c1!),
      row('no-op update by update-with-start on every message (as sendMessage; sessions alternate with the chat)', 1, measured.noop_uws_c1!),
      row('no-op executeUpdate (update-with-start for the first message)', 1, measured.noop_update_c1!),
      row('chat turn: sendMessage', C32, measured[`chat_c${C32}`]!),
      row('no-op update by update-with-start on every message (runs before and after the chat)', C32, measured[`noop_uws_c${C32}`]!),
      row('no-op executeUpdate (update-with-start for the first message; before and after)', C32, measured[`noop_update_c${C32}`]!),
      summarize('SSE: POST /chat/stream → first data: {"token" byte (TTFT)', sse.ttft),
      summarize('SSE: TTFT − fake extraction − fake first chunk (both measured) = overhead', sse.overhead),
      summarize(`SSE: TTFT − configured ${EXTRACT_MS} ms extraction − ${FIRST_CHUNK_MS} ms first chunk`, sse.overConfigured),
      summarize('  a. POST sent → extraction request at the fake', sse.toExtract),
      summarize('  E. fake: extraction request → answer (provider time)', sse.extract),
      summarize('  b. extraction answered → reply request at the fake', sse.between),
      summarize('  F. fake: reply request → first chunk written (provider time)', sse.firstChunk),
      summarize('  c. first chunk written → first token byte at the client', sse.toClient),
      summarize('SSE: POST sent → end of stream (whole turn)', sse.whole),
      summarize('no-op update-with-start, one after each streamed turn', sseNoop),
      summarize('retrieval alone (embed + passages + listings), runs beside extraction', retrieval),
    ];
    const chatC1 = measured.chat_c1!;
    const chatC32 = measured[`chat_c${C32}`]!;
    return {
      name: 'chat',
      description:
        `chat turns via sendMessage (offline provider, no token delay), sessions of ${TURNS} sequential turns: ${measured.chat_c1!.samples.length / TURNS} one at a time, alternating with no-op sessions, ` +
        `then ${C32} at once; ${warmedTurns} warm-up turns first; ` +
        `against a no-op workflow update on the same Temporal server; then SSE time to first token through the in-process API with the Anthropic provider against a fake ` +
        `Messages API (extraction ${EXTRACT_MS} ms, first chunk ${FIRST_CHUNK_MS} ms, then ${CHUNK_MS} ms per chunk), ${SSE_SESSIONS}×${SSE_TURNS} turns after a 3-turn warm-up session`,
      rows,
      figures: {
        chat_c1_p50_ms: p50(chatC1.samples),
        chat_c1_p99_ms: p99(chatC1.samples),
        chat_c1_turns_per_s: round(chatC1.samples.length / (chatC1.wallMs / 1000), 1),
        chat_c32_p50_ms: p50(chatC32.samples),
        chat_c32_p99_ms: p99(chatC32.samples),
        chat_c32_turns_per_s: round(chatC32.samples.length / (chatC32.wallMs / 1000), 1),
        noop_update_with_start_c1_p50_ms: p50(measured.noop_uws_c1!.samples),
        noop_update_with_start_c32_p50_ms: p50(measured[`noop_uws_c${C32}`]!.samples),
        noop_execute_update_c1_p50_ms: p50(measured.noop_update_c1!.samples),
        noop_execute_update_c32_p50_ms: p50(measured[`noop_update_c${C32}`]!.samples),
        noop_update_with_start_c32_p50_ms_before_chat: p50(uwsBefore.samples),
        noop_update_with_start_c32_p50_ms_after_chat: p50(uwsAfter.samples),
        noop_update_with_start_c32_per_s: round(measured[`noop_uws_c${C32}`]!.samples.length / (measured[`noop_uws_c${C32}`]!.wallMs / 1000), 1),
        turn_p50_vs_noop_update_p50_c1: round(p50(chatC1.samples) / p50(measured.noop_uws_c1!.samples), 1),
        turn_p50_vs_noop_update_p50_c32: round(p50(chatC32.samples) / p50(measured[`noop_uws_c${C32}`]!.samples), 1),
        turn_p50_vs_noop_execute_update_p50_c1: round(p50(chatC1.samples) / p50(measured.noop_update_c1!.samples), 1),
        turn_p50_vs_noop_execute_update_p50_c32: round(p50(chatC32.samples) / p50(measured[`noop_update_c${C32}`]!.samples), 1),
        turns_with_retrieved_sources_share: round(groundedShare, 2),
        history_events_chat_session: historyEvents.chat,
        history_events_its_lead_workflow: historyEvents.lead,
        history_events_noop_session: historyEvents.noop,
        turns_per_session: TURNS,
        sse_ttft_p50_ms: p50(sse.ttft),
        sse_ttft_p99_ms: p99(sse.ttft),
        sse_ttft_overhead_p50_ms: p50(sse.overhead),
        sse_ttft_overhead_p99_ms: p99(sse.overhead),
        sse_ttft_overhead_vs_configured_p50_ms: p50(sse.overConfigured),
        sse_ttft_overhead_vs_configured_p99_ms: p99(sse.overConfigured),
        sse_noop_update_p50_ms: p50(sseNoop),
        load_avg_1m_at_start: round(loadAtStart, 2),
      },
    };
  } finally {
    await terminateOpen(offline.temporal.client, config.TEMPORAL_NAMESPACE, [offline.config.TEMPORAL_TASK_QUEUE, claude.config.TEMPORAL_TASK_QUEUE, baseline.taskQueue]).catch((err: Error) =>
      console.warn(`could not end the workflows the benchmark left open: ${err.message}`),
    );
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await events.stop();
    await baseline.stop();
    await claude.stop();
    await offline.stop();
    await fake.close();
    await es.close();
    await orm.close(true);
  }
}
