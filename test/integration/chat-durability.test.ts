import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type Koa from 'koa';
import { createApp } from '../../src/http/app';
import { resolveTurnTarget, sendMessage, type TurnTarget } from '../../src/chat/service';
import { chatStateQuery, chatWorkflowId, type ChatReply } from '../../src/contracts/chat';
import { TENANT_FILTER } from '../../src/db/orm';
import type { TokenChunk } from '../../src/events/listener';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { bearer, registerTenant, type Tenant } from '../support/identity';
import { freePort, spawnEntry, waitForOutput, type Spawned } from '../support/processes';
import { startDevServer, type DevServer } from '../support/temporal-server';

const LIMITS = { AUTH_RATE_LIMIT_PER_MINUTE: 100_000, RATE_LIMIT_PER_MINUTE: 100_000 };
const sqlOn = (ctx: TestContext) => async <T>(query: string, params: unknown[] = []) => ctx.orm.em.fork().getConnection().execute<T[]>(query, params);

describe('a chat turn whose worker is killed mid-reply', () => {
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;
  const spawned: Spawned[] = [];
  const sql = <T>(query: string, params: unknown[] = []) => sqlOn(ctx)<T>(query, params);
  // The offline model writes a token every 40 ms, so a reply takes a couple of seconds to stream.
  const startWorkerProcess = async () => {
    const proc = spawnEntry('worker/main.ts', { TEMPORAL_TASK_QUEUE: ctx.temporal.taskQueue, OFFLINE_LLM_TOKEN_DELAY_MS: '40' });
    spawned.push(proc);
    await waitForOutput(proc, /worker polling/);
    return proc;
  };
  const chat = (body: Record<string, unknown>, key: string) => request(app.callback()).post('/api/v1/chat/test').set(bearer(t.admin.token)).set('Idempotency-Key', key).send(body);

  beforeAll(async () => {
    ctx = await createTestContext(LIMITS);
    app = createApp(ctx);
    t = await registerTenant(app);
  });
  afterAll(async () => {
    for (const p of spawned) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await ctx.close();
  });

  it('answers the client’s retry with the same reply, stored once, after a new worker takes over', async () => {
    const first = await startWorkerProcess();
    const created = await request(app.callback()).post('/api/v1/chat/sessions').set(bearer(t.admin.token)).send({});
    expect(created.status).toBe(201);
    const { id: sessionId, lead_id: leadId } = created.body as { id: string; lead_id: string };
    const key = 'kill-mid-reply';
    const body = { message: 'Hola, busco un departamento de 2 dormitorios en Ñuñoa', session_id: sessionId };

    const streamed: TokenChunk[] = [];
    const unsubscribe = ctx.events.subscribeTokens(`${sessionId}:${key}`, (chunk) => streamed.push(chunk));
    // The first request stays open, as a client's would until its own timeout.
    const original = chat(body, key).then((res) => res);
    try {
      await eventually('the reply to start streaming', () => streamed.length, (n) => n > 0);
      const handle = ctx.temporal.client.workflow.getHandle(chatWorkflowId(t.brokerId, sessionId));
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      expect(pending.map((a) => a.activityType?.name)).toEqual(['generateReply']);
      first.child.kill('SIGKILL');
      await first.exited;
      expect(await sql('select direction from chat_messages where session_id = ?', [sessionId])).toEqual([{ direction: 'in' }]);

      await startWorkerProcess();
      const retried = await chat(body, key);
      expect(retried.status).toBe(200);
      expect(retried.body.response).toEqual(expect.any(String));
      expect(retried.body.message_id).toBe(key);
      const answered = await original;
      expect(answered.status).toBe(200);
      expect(answered.body.response).toBe(retried.body.response);

      const rows = await sql<{ direction: string; client_message_id: string; content: string }>('select direction, client_message_id, content from chat_messages where session_id = ? order by id', [sessionId]);
      expect(rows.map((r) => `${r.direction}:${r.client_message_id}`)).toEqual([`in:${key}`, `out:${key}`]);
      expect(rows[1]!.content).toBe(retried.body.response);
      const activities = await sql<{ n: number }>("select count(*)::int as n from lead_activities where customer_id = ? and data->>'message_id' = ?", [leadId, `${sessionId}:${key}`]);
      expect(activities[0]!.n).toBe(1);
      // The reply came from a second attempt at the model call, the first one having died with its worker.
      const history = await handle.fetchHistory();
      const generateAttempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
      expect(Math.max(...generateAttempts)).toBeGreaterThanOrEqual(2);
      expect(streamed.some((c) => c.attempt >= 2)).toBe(true);
    } finally {
      unsubscribe();
      await original.catch(() => undefined);
    }
  }, 120_000);
});

describe('open chat sessions across a Temporal server restart', () => {
  let server: DevServer;
  let dir: string;
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;
  const chat = (body: Record<string, unknown>, key: string) => request(app.callback()).post('/api/v1/chat/test').set(bearer(t.admin.token)).set('Idempotency-Key', key).send(body);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-durability-'));
    server = await startDevServer({ port: await freePort(), dbFile: path.join(dir, 'temporal.db') });
    ctx = await createTestContext({ ...LIMITS, TEMPORAL_ADDRESS: server.address });
    app = createApp(ctx);
    await ctx.startWorker();
    t = await registerTenant(app);
  }, 90_000);
  afterAll(async () => {
    // A worker shuts down cleanly only while its server answers, so bring it back if a test left it down.
    if (server && !server.running()) await server.start().catch(() => undefined);
    await ctx?.close();
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers the next message in the same workflow, with what the conversation collected', async () => {
    const first = await chat({ message: 'Hola, me llamo Ana Pérez y busco departamento en Ñuñoa' }, 'restart-1');
    expect(first.status).toBe(200);
    const { session_id: sessionId, lead_id: leadId } = first.body as { session_id: string; lead_id: string };
    expect(first.body.conversation_state.collected_info).toMatchObject({ name: 'Ana Pérez' });
    const handle = ctx.temporal.client.workflow.getHandle(chatWorkflowId(t.brokerId, sessionId));
    const before = await handle.describe();

    await server.stop();
    await server.start();

    const next = await chat({ message: 'Mi presupuesto es de 5000 UF', session_id: sessionId, lead_id: leadId }, 'restart-2');
    expect(next.status).toBe(200);
    expect(next.body.response).toEqual(expect.any(String));
    expect(next.body.conversation_state.collected_info).toMatchObject({ name: 'Ana Pérez', budget: expect.any(String) });
    const after = await handle.describe();
    expect(after.status.name).toBe('RUNNING');
    expect(after.raw.workflowExecutionInfo?.firstRunId).toBe(before.raw.workflowExecutionInfo?.firstRunId);
    // The workflow's own memory came through: both turns, and the first reply for a retried first message.
    const state = await handle.query(chatStateQuery);
    expect(state.turns).toBe(2);
    expect(state.recent.map(([id]) => id)).toEqual(['restart-1', 'restart-2']);
    const retried = await chat({ message: 'Hola, me llamo Ana Pérez y busco departamento en Ñuñoa', session_id: sessionId }, 'restart-1');
    expect(retried.body.response).toBe(first.body.response);
    const rows = await sqlOn(ctx)<{ direction: string; client_message_id: string }>('select direction, client_message_id from chat_messages where session_id = ? order by id', [sessionId]);
    expect(rows.map((r) => `${r.direction}:${r.client_message_id}`)).toEqual(['in:restart-1', 'out:restart-1', 'in:restart-2', 'out:restart-2']);
  }, 120_000);
});

describe('many sessions at once', () => {
  const SESSIONS = 200;
  const MESSAGES = ['Hola, busco un departamento', 'Me llamo Cliente {n}', 'Mi presupuesto es de 4000 UF', 'Prefiero Providencia o Ñuñoa', 'Gracias, ¿qué me recomiendas?'];
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;
  const spawned: Spawned[] = [];

  beforeAll(async () => {
    ctx = await createTestContext(LIMITS);
    app = createApp(ctx);
    t = await registerTenant(app);
    // The worker runs as its own process, as in production, so the test's clients do not share its CPU.
    const worker = spawnEntry('worker/main.ts', { TEMPORAL_TASK_QUEUE: ctx.temporal.taskQueue });
    spawned.push(worker);
    await waitForOutput(worker, /worker polling/);
  });
  afterAll(async () => {
    for (const p of spawned) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await ctx.close();
  });

  // A thousand turns: minutes on two cores, most of it in the Temporal dev server and the worker.
  it(`answers ${SESSIONS} concurrent sessions × ${MESSAGES.length} messages, each session in order and once`, async () => {
    const targets: TurnTarget[] = [];
    for (let s = 0; s < SESSIONS; s++) {
      const em = ctx.orm.em.fork();
      em.setFilterParams(TENANT_FILTER, { tenantId: t.brokerId });
      targets.push(await resolveTurnTarget(em, { tenantId: t.brokerId, channel: 'webchat' }));
    }
    const ids = (s: number) => MESSAGES.map((_, m) => `s${s}-m${m}`);

    const replies: ChatReply[][] = await Promise.all(
      targets.map(async (target, s) => {
        const answered: ChatReply[] = [];
        for (let m = 0; m < MESSAGES.length; m++) {
          const msg = { messageId: ids(s)[m]!, text: MESSAGES[m]!.replace('{n}', String(s)) };
          // A client whose call timed out on a saturated server retries with the same id, as documented.
          answered.push(await sendMessage(ctx, target, msg).catch(() => sendMessage(ctx, target, msg)));
        }
        return answered;
      }),
    );

    for (const answered of replies) for (const r of answered) expect(r.reply).toEqual(expect.any(String));
    const rows = await sqlOn(ctx)<{ session_id: string; direction: string; client_message_id: string; content: string }>('select session_id, direction, client_message_id, content from chat_messages where tenant_id = ? order by id', [t.brokerId]);
    expect(rows).toHaveLength(SESSIONS * MESSAGES.length * 2);
    const stored = new Map(rows.filter((r) => r.direction === 'out').map((r) => [r.client_message_id, r.content]));
    replies.forEach((answered, s) => expect(answered.map((r) => r.reply)).toEqual(ids(s).map((id) => stored.get(id))));
    const bySession = new Map<string, string[]>();
    for (const r of rows) bySession.set(r.session_id, [...(bySession.get(r.session_id) ?? []), `${r.direction}:${r.client_message_id}`]);
    targets.forEach((target, s) => expect(bySession.get(target.session.id)).toEqual(ids(s).flatMap((id) => [`in:${id}`, `out:${id}`])));

    const states = await Promise.all(targets.map((target) => ctx.temporal.client.workflow.getHandle(target.session.workflowId).query(chatStateQuery)));
    states.forEach((state, s) => {
      expect(state.turns).toBe(MESSAGES.length);
      expect(state.recent.map(([id]) => id)).toEqual(ids(s));
    });
  }, 900_000);
});
