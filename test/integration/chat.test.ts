import request from 'supertest';
import type Koa from 'koa';
import { createApp } from '../../src/http/app';
import { chatStateQuery } from '../../src/contracts/chat';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { maybeCaptureHistory } from '../support/histories';
import { bearer, createSuperadmin, registerTenant, type Tenant } from '../support/identity';

/** Parses an SSE body into its `data:` payloads. */
const sseEvents = (text: string) =>
  text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => JSON.parse(block.slice(6)) as Record<string, unknown>);

describe('chat', () => {
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;
  let other: Tenant;
  const http = () => request(app.callback());
  const chat = (token: string, body: Record<string, unknown>, key?: string) => {
    const req = http().post('/api/v1/chat/test').set(bearer(token));
    if (key) req.set('Idempotency-Key', key);
    return req.send(body);
  };

  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000, RATE_LIMIT_PER_MINUTE: 100_000, CHAT_MAX_TURNS_PER_RUN: 3, OFFLINE_LLM_TOKEN_DELAY_MS: 8 });
    app = createApp(ctx);
    await ctx.startWorker();
    [t, other] = [await registerTenant(app), await registerTenant(app)];
    await http()
      .post('/api/v1/properties')
      .set(bearer(t.admin.token))
      .send({ unique_id: 'LC-1', title: 'Departamento 2 dormitorios en Las Condes', city: 'Las Condes', property_type: 'apartment', listing_type: 'sale', price: 5200, bedrooms: 2, description: 'Departamento luminoso con estacionamiento' })
      .expect(201);
  });
  afterAll(() => ctx.close());
  const sessionState = async (sessionId: string) => {
    const [session] = await ctx.sql<{ workflow_id: string }>('select workflow_id from chat_sessions where id = ?', [sessionId]);
    return ctx.temporal.client.workflow.getHandle(session!.workflow_id).query(chatStateQuery);
  };

  it('creates the lead when none is given, answers in Spanish as the tenant persona and grounds the answer in listings', async () => {
    const res = await chat(t.admin.token, { message: 'Hola, me interesa un departamento de 2 dormitorios en Las Condes', lead_id: null, provider: 'webchat' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ lead_id: expect.any(String), lead_status: 'cold', session_id: expect.any(String) });
    expect(res.body.response).toMatch(/Sofía/);
    expect(res.body.response).toMatch(/Departamento 2 dormitorios en Las Condes/);
    const [listing] = await ctx.sql<{ id: string }>("select id from properties where tenant_id = ? and external_id = 'LC-1'", [t.brokerId]);
    expect(res.body.sources.listings).toContain(listing!.id);
    const stored = await ctx.sql<{ sources: { listings: string[] }; provider: string; output_tokens: number }>("select sources, provider, output_tokens from chat_messages where session_id = ? and direction = 'out'", [res.body.session_id]);
    expect(stored[0]!.sources.listings).toContain(listing!.id);
    expect(stored[0]!.provider).toBe('offline');
    expect(stored[0]!.output_tokens).toBeGreaterThan(0);

    const next = await chat(t.admin.token, { message: 'Me llamo Ana Pérez, mi teléfono es +56 9 8765 4321', lead_id: res.body.lead_id, session_id: res.body.session_id });
    expect(next.status).toBe(200);
    expect(next.body.conversation_state.collected_info).toMatchObject({ name: 'Ana Pérez' });
    const [lead] = await ctx.sql<{ name: string; phone: string; lead_score: number }>('select name, phone, lead_score from customers where id = ?', [res.body.lead_id]);
    expect(lead).toMatchObject({ name: 'Ana Pérez', phone: '+56987654321' });
    expect(next.body.lead_score).toBeGreaterThan(res.body.lead_score);
  });

  it('replies in English to English', async () => {
    const res = await chat(t.admin.token, { message: 'Hi, I am looking for an apartment to buy, what do you have?' });
    expect(res.status).toBe(200);
    expect(res.body.response).toMatch(/\b(the|you|your|I)\b/);
  });

  it('returns the same reply for a retried message id and stores it once', async () => {
    const first = await chat(t.admin.token, { message: 'Busco casa en Ñuñoa' }, 'retry-key-1');
    const again = await chat(t.admin.token, { message: 'Busco casa en Ñuñoa', session_id: first.body.session_id, lead_id: first.body.lead_id }, 'retry-key-1');
    expect(again.status).toBe(200);
    expect(again.body.response).toBe(first.body.response);
    const rows = await ctx.sql<{ n: number }>('select count(*)::int as n from chat_messages where session_id = ?', [first.body.session_id]);
    expect(rows[0]!.n).toBe(2);
  });

  it('continues the session a first message created when that message is retried without a session', async () => {
    const first = await chat(t.admin.token, { message: 'Busco oficina en Providencia' }, 'first-of-session-1');
    const again = await chat(t.admin.token, { message: 'Busco oficina en Providencia' }, 'first-of-session-1');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ session_id: first.body.session_id, lead_id: first.body.lead_id, response: first.body.response });
    expect((await ctx.sql<{ n: number }>('select count(*)::int as n from chat_messages where session_id = ?', [first.body.session_id]))[0]!.n).toBe(2);
    expect((await ctx.sql<{ n: number }>('select count(*)::int as n from chat_sessions where lead_id = ?', [first.body.lead_id]))[0]!.n).toBe(1);
    // The same key sent for another lead is that lead's message, in a session of its own.
    const otherLead = (await chat(t.admin.token, { message: 'Hola' })).body.lead_id;
    const forOther = await chat(t.admin.token, { message: 'Busco oficina en Providencia', lead_id: otherLead }, 'first-of-session-1');
    expect(forOther.status).toBe(200);
    expect(forOther.body.lead_id).toBe(otherLead);
    expect(forOther.body.session_id).not.toBe(first.body.session_id);
  });

  it('opens one session and one lead for a first message sent several times at once', async () => {
    const sends = await Promise.all([1, 2, 3, 4].map(() => chat(t.admin.token, { message: 'Busco bodega en Quilicura' }, 'double-submit-1')));
    expect(sends.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const [first] = sends;
    for (const r of sends) expect(r.body).toMatchObject({ session_id: first!.body.session_id, lead_id: first!.body.lead_id, response: first!.body.response });
    expect((await ctx.sql<{ n: number }>('select count(*)::int as n from chat_messages where session_id = ?', [first!.body.session_id]))[0]!.n).toBe(2);
    // The requests that lost the race created nothing of their own.
    expect((await ctx.sql<{ n: number }>("select count(*)::int as n from customers where tenant_id = ? and created_at > now() - interval '1 minute' and id not in (select lead_id from chat_sessions)", [t.brokerId]))[0]!.n).toBe(0);
    // The copies reached the workflow together; it ran the turn once.
    expect((await sessionState(first!.body.session_id)).turns).toBe(1);
  });

  it('takes messages sent to one session at once one after another, each turn whole', async () => {
    const opened = await chat(t.admin.token, { message: 'Hola' });
    const handle = ctx.temporal.client.workflow.getHandle(`chat:${t.brokerId}:${opened.body.session_id}`);
    const firstRun = (await handle.describe()).runId;
    const keys = ['together-1', 'together-2', 'together-3', 'together-4'];
    // Each message twice, as a client retrying a call it thinks was lost.
    const sends = await Promise.all([...keys, ...keys].map((key) => chat(t.admin.token, { message: `Pregunta ${key}: ¿tienen bodegas?`, session_id: opened.body.session_id, lead_id: opened.body.lead_id }, key)));
    expect(sends.map((r) => r.status)).toEqual(Array(keys.length * 2).fill(200));
    keys.forEach((_, i) => expect(sends[i + keys.length]!.body.response).toBe(sends[i]!.body.response));
    const rows = await ctx.sql<{ direction: string; client_message_id: string }>('select direction, client_message_id from chat_messages where session_id = ? order by id offset 2', [opened.body.session_id]);
    // Each message is stored, answered and only then the next one begins.
    expect(rows).toHaveLength(keys.length * 2);
    for (let i = 0; i < rows.length; i += 2) {
      expect(rows[i]!.direction).toBe('in');
      expect(rows[i + 1]).toEqual({ direction: 'out', client_message_id: rows[i]!.client_message_id });
    }
    expect((await sessionState(opened.body.session_id)).turns).toBe(1 + keys.length);
    await maybeCaptureHistory(ctx.temporal.client.workflow.getHandle(handle.workflowId, firstRun), 'chat-session-messages-at-once');
  });

  it('refuses a malformed Idempotency-Key before creating a lead or a session', async () => {
    const count = async () => (await ctx.sql<{ n: number }>('select (select count(*) from customers where tenant_id = ?) + (select count(*) from chat_sessions where tenant_id = ?) as n', [t.brokerId, t.brokerId]))[0]!.n;
    const before = await count();
    const res = await chat(t.admin.token, { message: 'hola' }, 'not a valid key!');
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].path).toBe('Idempotency-Key');
    expect(await count()).toBe(before);
  });

  it.each([
    ['an empty message', { message: '' }, 422],
    ['a blank message', { message: '   ' }, 422],
    ['4,001 characters', { message: 'x'.repeat(4001) }, 422],
    ['markup only', { message: '<b></b>' }, 422],
    ['invisible characters only', { message: '\u200b\u2060\ufeff \u00a0' }, 422],
    ['an unknown lead', { message: 'hola', lead_id: '00000000-0000-4000-8000-000000000000' }, 404],
    ['a malformed session id', { message: 'hola', session_id: 'not-a-uuid' }, 422],
    ['an unknown channel', { message: 'hola', provider: 'carrier-pigeon' }, 422],
  ])('rejects %s and stores nothing', async (_label, body, status) => {
    const before = (await ctx.sql<{ n: number }>('select count(*)::int as n from chat_messages where tenant_id = ?', [t.brokerId]))[0]!.n;
    const res = await chat(t.admin.token, body);
    expect(res.status).toBe(status);
    expect(res.body.status).toBe('error');
    expect((await ctx.sql<{ n: number }>('select count(*)::int as n from chat_messages where tenant_id = ?', [t.brokerId]))[0]!.n).toBe(before);
  });

  it('stores script and markup as plain text and hides other tenants’ leads and sessions', async () => {
    const res = await chat(t.admin.token, { message: '<script>alert(1)</script><img src=x onerror=alert(2)>Hola <b>amigos</b>' });
    expect(res.status).toBe(200);
    const [row] = await ctx.sql<{ content: string }>("select content from chat_messages where session_id = ? and direction = 'in'", [res.body.session_id]);
    expect(row!.content).toBe('Hola amigos');
    expect((await chat(other.admin.token, { message: 'hola', lead_id: res.body.lead_id })).status).toBe(404);
    expect((await chat(other.admin.token, { message: 'hola', session_id: res.body.session_id })).status).toBe(404);
    expect((await http().get(`/api/v1/chat/sessions/${res.body.session_id}`).set(bearer(other.admin.token))).status).toBe(404);
  });

  it('streams tokens over SSE, then a done event with the lead, score and state', async () => {
    const res = await http().post('/api/v1/chat/stream').set(bearer(t.admin.token)).send({ message: 'Hola, busco departamento en Las Condes' }).buffer(true).parse((r, cb) => {
      let text = '';
      r.on('data', (d: Buffer) => (text += d.toString()));
      r.on('end', () => cb(null, text));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-accel-buffering']).toBe('no');
    const events = sseEvents(res.body as string);
    const tokens = events.filter((e) => 'token' in e);
    const done = events.at(-1)!;
    expect(tokens.length).toBeGreaterThan(1);
    expect(done).toMatchObject({ done: true, lead_id: expect.any(String), lead_score: expect.any(Number), lead_status: 'cold', conversation_state: expect.any(String) });
    expect(tokens.map((e) => e.token).join('')).toBe(done.response);
  });

  it('sends each token as the model produces it, not the whole reply once the turn is over', async () => {
    // Arrival time of every `data:` block; the offline provider paces its words 8 ms apart here.
    const res = await http().post('/api/v1/chat/stream').set(bearer(t.admin.token)).send({ message: 'Hola, busco departamento en Las Condes' }).buffer(true).parse((r, cb) => {
      const arrivals: Array<{ at: number; event: Record<string, unknown> }> = [];
      let pending = '';
      r.on('data', (d: Buffer) => {
        pending += d.toString();
        const blocks = pending.split('\n\n');
        pending = blocks.pop()!;
        for (const block of blocks) if (block.startsWith('data: ')) arrivals.push({ at: performance.now(), event: JSON.parse(block.slice(6)) as Record<string, unknown> });
      });
      r.on('end', () => cb(null, arrivals));
    });
    const arrivals = res.body as Array<{ at: number; event: Record<string, unknown> }>;
    const firstToken = arrivals.find((a) => 'token' in a.event)!;
    const done = arrivals.find((a) => a.event.done === true)!;
    const words = String(done.event.response).split(/\s+/).length;
    // Streamed, the first token leads the end by most of the time the words took to produce.
    expect(done.at - firstToken.at).toBeGreaterThan(((words - 1) * 8) / 2);
  });

  it('refuses a message to a resolved session with 409, streamed or not, storing nothing', async () => {
    const first = await chat(t.admin.token, { message: 'hola' });
    await http().post(`/api/v1/chat/sessions/${first.body.session_id}/resolve`).set(bearer(t.admin.token)).expect(200);
    for (const path of ['/api/v1/chat/test', '/api/v1/chat/stream']) {
      const res = await http().post(path).set(bearer(t.admin.token)).send({ message: 'sigo aquí', session_id: first.body.session_id });
      expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 409, code: 'session_resolved' });
    }
    const rows = await ctx.sql<{ n: number }>('select count(*)::int as n from chat_messages where session_id = ?', [first.body.session_id]);
    expect(rows[0]!.n).toBe(2);
  });

  it('manages sessions: create, list with filters, transcript, resolve, delete', async () => {
    const created = await http().post('/api/v1/chat/sessions').set(bearer(t.agent.token)).send({ channel: 'whatsapp' });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await http().post(`/api/v1/chat/sessions/${id}/messages`).set(bearer(t.agent.token)).send({ message: 'Hola, quiero arrendar una oficina' }).expect(200);
    const list = await http().get('/api/v1/chat/sessions').query({ channel: 'whatsapp', status: 'active', lead_id: created.body.lead_id }).set(bearer(t.agent.token));
    expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([id]);
    const transcript = await http().get(`/api/v1/chat/sessions/${id}`).set(bearer(t.agent.token));
    expect(transcript.body.messages.map((m: { sender_type: string }) => m.sender_type)).toEqual(['customer', 'assistant']);
    expect((await http().get(`/api/v1/chat/${created.body.lead_id}/messages`).set(bearer(t.agent.token))).body.total).toBe(2);
    expect((await http().delete(`/api/v1/chat/sessions/${id}`).set(bearer(t.admin.token))).status).toBe(204);
    expect((await http().get(`/api/v1/chat/sessions/${id}`).set(bearer(t.agent.token))).status).toBe(404);
    expect((await ctx.sql<{ n: number }>('select count(*)::int as n from chat_messages where session_id = ?', [id]))[0]!.n).toBe(0);
    const desc = await ctx.temporal.client.workflow.getHandle(`chat:${t.brokerId}:${id}`).describe();
    for (let i = 0; i < 50 && (await ctx.temporal.client.workflow.getHandle(`chat:${t.brokerId}:${id}`).describe()).status.name === 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(['COMPLETED', 'RUNNING']).toContain(desc.status.name);
    expect((await ctx.temporal.client.workflow.getHandle(`chat:${t.brokerId}:${id}`).describe()).status.name).toBe('COMPLETED');
  });

  it('lets a SUPERADMIN narrow lists to a named broker, and shows an agent only their own lead records', async () => {
    const root = await createSuperadmin(ctx, app);
    await chat(other.admin.token, { message: 'Hola' });
    const props = await http().get('/api/v1/properties').query({ broker_id: t.brokerId }).set(bearer(root.token));
    expect(props.status).toBe(200);
    expect(props.body.data.map((p: { unique_id: string }) => p.unique_id)).toEqual(['LC-1']);
    // The same unique_id in another broker is another listing, not a conflict.
    const elsewhere = await http().post('/api/v1/properties').query({ broker_id: other.brokerId }).set(bearer(root.token)).send({ unique_id: 'LC-1', title: 'Otra', city: 'Ñuñoa', property_type: 'house', listing_type: 'sale', price: 100 });
    expect(elsewhere.status).toBe(201);
    const sessions = await http().get('/api/v1/chat/sessions').query({ broker_id: other.brokerId }).set(bearer(root.token));
    expect(sessions.body.total).toBeGreaterThan(0);
    expect(new Set(sessions.body.data.map((s: { broker_id: string }) => s.broker_id))).toEqual(new Set([other.brokerId]));
    expect((await http().get('/api/v1/chat/sessions').query({ broker_id: other.brokerId }).set(bearer(t.admin.token))).status).toBe(404);

    const adminsLead = (await chat(t.admin.token, { message: 'Hola, soy Pedro' })).body.lead_id;
    expect((await http().get(`/api/v1/chat/verify/${adminsLead}`).set(bearer(t.agent.token))).status).toBe(404);
    expect((await http().get(`/api/v1/chat/verify/${adminsLead}`).set(bearer(t.admin.token))).status).toBe(200);
  });

  it('creates a chat customer by email once, as a new lead, and finds it again', async () => {
    const email = `Nueva.${Date.now()}@Example.com`;
    const created = await http().post('/api/v1/chat/sessions').set(bearer(t.agent.token)).send({ customer: { name: 'Nueva Clienta', email } });
    expect(created.status).toBe(201);
    const activities = await ctx.sql<{ type: string }>('select type from lead_activities where customer_id = ?', [created.body.lead_id]);
    expect(activities.map((a) => a.type)).toContain('created');
    const again = await http().post('/api/v1/chat/sessions').set(bearer(t.agent.token)).send({ customer: { email: email.toUpperCase() } });
    expect(again.status).toBe(201);
    expect(again.body.lead_id).toBe(created.body.lead_id);
    expect(again.body.id).not.toBe(created.body.id);
  });

  it('hands off a session no workflow runs for, stores the agent’s reply, and keeps the assistant quiet until released', async () => {
    const created = await http().post('/api/v1/chat/sessions').set(bearer(t.agent.token)).send({});
    const sid = created.body.id;
    await http().post(`/api/v1/chat/sessions/${sid}/handoff`).set(bearer(t.agent.token)).send({ reason: 'VIP' }).expect(202);
    const [row] = await ctx.sql<{ status: string; handoff_reason: string; assigned_agent_id: string }>('select status, handoff_reason, assigned_agent_id from chat_sessions where id = ?', [sid]);
    expect(row).toMatchObject({ status: 'handoff', handoff_reason: 'VIP', assigned_agent_id: t.agent.id });
    const reply = await http().post(`/api/v1/chat/sessions/${sid}/agent-reply`).set(bearer(t.agent.token)).send({ message: 'Hola, soy Carla' });
    expect(reply.status).toBe(202);
    expect((await ctx.sql<{ content: string }>("select content from chat_messages where session_id = ? and sender_type = 'agent'", [sid])).map((r) => r.content)).toEqual(['Hola, soy Carla']);
    const customer = await http().post(`/api/v1/chat/sessions/${sid}/messages`).set(bearer(t.agent.token)).send({ message: 'Gracias Carla' });
    expect(customer.status).toBe(200);
    expect(customer.body).toMatchObject({ response: null, session_status: 'handoff' });
  });

  it('answers a handoff or a release once the session shows it, so what follows meets the new status', async () => {
    for (let round = 0; round < 3; round++) {
      const opened = await chat(t.admin.token, { message: 'Hola, busco oficina' });
      const sid = opened.body.session_id;
      await http().post(`/api/v1/chat/sessions/${sid}/handoff`).set(bearer(t.agent.token)).send({ reason: 'VIP' }).expect(202);
      // Straight after the handoff an agent may reply (it was 409 not_handed_off until the run caught up).
      expect((await http().post(`/api/v1/chat/sessions/${sid}/agent-reply`).set(bearer(t.agent.token)).send({ message: 'Soy Carla' })).status).toBe(202);
      await http().post(`/api/v1/chat/sessions/${sid}/release`).set(bearer(t.agent.token)).expect(202);
      // And straight after the release the assistant answers (the message had gone to the person).
      const back = await chat(t.admin.token, { message: 'Gracias', session_id: sid });
      expect({ round, response: typeof back.body.response, status: back.body.session_status }).toEqual({ round, response: 'string', status: 'active' });
    }
  });

  it('hands off to a person on request, relays the agent’s reply, and goes back to the assistant when released', async () => {
    const first = await chat(t.admin.token, { message: 'Quiero hablar con una persona, por favor' });
    expect(first.body.session_status).toBe('handoff');
    expect(first.body.conversation_state.current_step).toBe('handoff');
    const sid = first.body.session_id;
    const quiet = await chat(t.admin.token, { message: '¿Hay alguien?', session_id: sid });
    expect(quiet.body.response).toBeNull();
    const reply = await http().post(`/api/v1/chat/sessions/${sid}/agent-reply`).set(bearer(t.agent.token)).send({ message: 'Hola, soy Carla del equipo' });
    expect(reply.status).toBe(202);
    const agentRows = await eventually(
      'the agent’s reply to be stored',
      () => ctx.sql<{ content: string }>("select content from chat_messages where session_id = ? and sender_type = 'agent'", [sid]),
      (rows) => rows.length > 0,
    );
    expect(agentRows.map((r) => r.content)).toEqual(['Hola, soy Carla del equipo']);
    await http().post(`/api/v1/chat/sessions/${sid}/release`).set(bearer(t.agent.token)).expect(202);
    const back = await chat(t.admin.token, { message: 'Gracias, sigo buscando casa', session_id: sid });
    expect(back.body).toMatchObject({ response: expect.any(String), session_status: 'active' });
    const events = await ctx.sql<{ type: string }>('select distinct type from events where topic = ?', [`tenant:${t.brokerId}:session:${sid}`]);
    expect(events.map((e) => e.type).sort()).toEqual(expect.arrayContaining(['chat.message', 'chat.state', 'chat.status']));
  });

  it('handles a session’s messages one at a time in arrival order and continues as new with its state', async () => {
    const first = await chat(t.admin.token, { message: 'Hola, me llamo Tomás' }, 'order-0');
    const sid = first.body.session_id;
    const firstRun = (await ctx.temporal.client.workflow.getHandle(`chat:${t.brokerId}:${sid}`).describe()).runId;
    for (let i = 1; i <= 4; i++) await chat(t.admin.token, { message: `Mensaje número ${i}`, session_id: sid }, `order-${i}`).expect(200);
    const rows = await ctx.sql<{ direction: string; client_message_id: string }>('select direction, client_message_id from chat_messages where session_id = ? order by id', [sid]);
    expect(rows.map((r) => `${r.direction}:${r.client_message_id}`)).toEqual([0, 1, 2, 3, 4].flatMap((i) => [`in:order-${i}`, `out:order-${i}`]));
    const handle = ctx.temporal.client.workflow.getHandle(`chat:${t.brokerId}:${sid}`);
    const desc = await handle.describe();
    // Three turns per run in this suite: the run now serving the session is not the first.
    expect(desc.runId).not.toBe(firstRun);
    const last = await chat(t.admin.token, { message: 'sigo aquí', session_id: sid }, 'order-5');
    expect(last.body.conversation_state.collected_info).toMatchObject({ name: 'Tomás' });
    await maybeCaptureHistory(ctx.temporal.client.workflow.getHandle(`chat:${t.brokerId}:${sid}`, firstRun), 'chat-session-continued-as-new');
    await maybeCaptureHistory(ctx.temporal.client.workflow.getHandle(`chat:${t.brokerId}:${sid}`), 'chat-session');
  });
});
