import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type Koa from 'koa';
import { createApp } from '../../src/http/app';
import { createTestContext, type TestContext } from '../support/context';
import { bearer, registerTenant, type Tenant } from '../support/identity';

/** Seed 000's error body: the message as `error`, with the code beside it. */
const seed000Error = (code: string) => ({ status: 'error', error: expect.any(String), code, processing_time: expect.any(Number), request_id: expect.any(String) });
/** Seed 003's error body. */
const seed003Error = (code: string) => ({ error: { code, message: expect.any(String), details: expect.any(Object) }, request_id: expect.any(String) });

describe('seed adapters', () => {
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;
  let other: Tenant;
  const http = () => request(app.callback());
  const count = async (query: string, params: unknown[] = []) => (await ctx.sql<{ n: number }>(query, params))[0]!.n;
  const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    // Two turns a run, so a task's session continues as new before the task is read.
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000, RATE_LIMIT_PER_MINUTE: 100_000, CHAT_MAX_TURNS_PER_RUN: 2 });
    app = createApp(ctx);
    await ctx.startWorker();
    [t, other] = [await registerTenant(app), await registerTenant(app)];
    await http()
      .post('/api/v1/properties')
      .set(bearer(t.admin.token))
      .send({ unique_id: 'AD-1', title: 'Downtown office suite 501', city: 'Downtown', property_type: 'office', listing_type: 'rent', price: 8333, description: 'Office in downtown with 2000 sf' })
      .expect(201);
  });
  afterAll(() => ctx.close());

  describe('seed 000', () => {
    const chat = (token: string, body: Record<string, unknown>) => http().post('/chat').set(bearer(token)).send(body);

    it('chats under the client’s session and user ids, keeping both across turns', async () => {
      const email = `${unique('user')}@Example.com`;
      const sessionId = `session_${new Date().toISOString()}_${randomUUID().slice(0, 6)}`;
      const res = await chat(t.agent.token, { message: 'Show me offices in downtown.', user_id: email, session_id: sessionId });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'success', response: expect.any(String), session_id: sessionId, user_id: email, processing_time: expect.any(Number) });
      expect(res.body.response).toMatch(/Downtown office suite 501/);
      const again = await chat(t.agent.token, { message: 'My name is Ana Smith', user_id: email, session_id: sessionId });
      expect(again.body).toMatchObject({ status: 'success', session_id: sessionId, user_id: email });
      const sessions = await ctx.sql<{ id: string; lead_id: string }>('select id, lead_id from chat_sessions where tenant_id = ? and external_id = ?', [t.brokerId, sessionId]);
      expect(sessions).toHaveLength(1);
      const [customer] = await ctx.sql<{ email: string; preferences: { user_id: string } }>('select email, preferences from customers where id = ?', [sessions[0]!.lead_id]);
      expect(customer).toMatchObject({ email: email.toLowerCase(), preferences: { user_id: email } });
      expect(await count('select count(*)::int as n from chat_messages where session_id = ?', [sessions[0]!.id])).toBe(4);
    });

    it('keeps a user id that is not an email on the customer it creates, and finds it again', async () => {
      const userId = unique('visitor');
      const first = await chat(t.admin.token, { message: 'Hello', user_id: userId });
      expect(first.status).toBe(200);
      expect(first.body.user_id).toBe(userId);
      const second = await chat(t.admin.token, { message: 'Hello again', user_id: userId });
      expect(second.body.user_id).toBe(userId);
      expect(second.body.session_id).not.toBe(first.body.session_id);
      expect(await count("select count(*)::int as n from customers where tenant_id = ? and preferences->>'user_id' = ?", [t.brokerId, userId])).toBe(1);
      const lead = await ctx.sql<{ lead_id: string }>('select distinct lead_id from chat_sessions where id in (?, ?)', [first.body.session_id, second.body.session_id]);
      expect(lead).toHaveLength(1);
    });

    it('creates one customer for a new user id whose first messages arrive at once', async () => {
      const userId = unique('tabs');
      const sends = await Promise.all(['Hello', 'Hi', 'Good morning'].map((message) => chat(t.admin.token, { message, user_id: userId })));
      expect(sends.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(await count("select count(*)::int as n from customers where tenant_id = ? and preferences->>'user_id' = ?", [t.brokerId, userId])).toBe(1);
      expect(await count('select count(distinct lead_id)::int as n from chat_sessions where id in (?, ?, ?)', sends.map((r) => r.body.session_id))).toBe(1);
    });

    it('answers our ids when the client named nothing, and takes them back', async () => {
      const first = await chat(t.admin.token, { message: 'Hi there' });
      expect(first.body).toEqual({ status: 'success', response: expect.any(String), session_id: expect.any(String), user_id: expect.any(String), processing_time: expect.any(Number) });
      const next = await chat(t.admin.token, { message: 'Still here', session_id: first.body.session_id, user_id: first.body.user_id });
      expect(next.status).toBe(200);
      expect(next.body).toMatchObject({ session_id: first.body.session_id, user_id: first.body.user_id });
    });

    it.each([
      ['an empty message', { message: '' }, 422, 'validation_error'],
      ['a blank message', { message: '   ' }, 422, 'validation_error'],
      ['4,001 characters', { message: 'x'.repeat(4001) }, 422, 'validation_error'],
      ['an unknown field', { message: 'hi', lead_id: randomUUID() }, 422, 'validation_error'],
      ['a session id with a slash', { message: 'hi', session_id: 'a/b' }, 422, 'validation_error'],
    ])('refuses %s in seed 000’s error shape', async (_label, body, status, code) => {
      const res = await chat(t.admin.token, body);
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ ...seed000Error(code), details: expect.any(Array) });
    });

    it('formats errors raised before a route runs the same way', async () => {
      const bad = await http().post('/chat').set(bearer(t.admin.token)).set('Content-Type', 'application/json').send('{"message":');
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual(seed000Error('invalid_json'));
      const anonymous = await http().post('/chat').send({ message: 'hi' });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toMatchObject({ status: 'error', error: expect.any(String) });
    });

    it('refuses a session that belongs to another user, and a resolved one', async () => {
      const sessionId = unique('sess');
      await chat(t.admin.token, { message: 'Hello', user_id: unique('owner'), session_id: sessionId }).expect(200);
      const stolen = await chat(t.admin.token, { message: 'Hello', user_id: unique('intruder'), session_id: sessionId });
      expect(stolen.status).toBe(409);
      expect(stolen.body).toEqual(seed000Error('conflict'));

      const resolved = await http().post(`/crm/resolve_session/${sessionId}`).set(bearer(t.agent.token));
      expect(resolved.status).toBe(200);
      expect(resolved.body).toEqual({ status: 'success', message: `Session ${sessionId} marked as Resolved.`, processing_time: expect.any(Number) });
      const late = await chat(t.admin.token, { message: 'One more thing', session_id: sessionId });
      expect(late.status).toBe(409);
      expect(late.body).toEqual(seed000Error('session_resolved'));
    });

    it('resolves only sessions of the caller’s tenant', async () => {
      const sessionId = unique('sess');
      await chat(t.admin.token, { message: 'Hello', session_id: sessionId }).expect(200);
      for (const [token, path] of [
        [other.admin.token, `/crm/resolve_session/${sessionId}`],
        [t.admin.token, `/crm/resolve_session/${unique('missing')}`],
      ] as const) {
        const res = await http().post(path).set(bearer(token));
        expect(res.status).toBe(404);
        expect(res.body).toEqual(seed000Error('not_found'));
      }
      // The other tenant's own session of that name is its own.
      const theirs = await chat(other.admin.token, { message: 'Hello', session_id: sessionId });
      expect(theirs.status).toBe(200);
      expect(await count('select count(*)::int as n from chat_sessions where external_id = ?', [sessionId])).toBe(2);
    });

    it('creates, reads, updates and deletes users', async () => {
      const userId = `${unique('user')}@example.com`;
      const created = await http().post('/users').set(bearer(t.admin.token)).send({ user_id: userId, name: 'User One', email: userId, role: 'user' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ status: 'success', message: 'User inserted', user_id: userId, processing_time: expect.any(Number) });
      const dup = await http().post('/users').set(bearer(t.admin.token)).send({ user_id: userId, name: 'Again', email: userId });
      expect(dup.status).toBe(409);
      expect(dup.body).toEqual(seed000Error('conflict'));

      const got = await http().get(`/crm/get_user/${userId}`).set(bearer(t.admin.token));
      expect(got.body).toEqual({ status: 'success', user: { user_id: userId, name: 'User One', email: userId, role: 'user' }, processing_time: expect.any(Number) });

      const updated = await http().put(`/crm/update_user/${userId}`).set(bearer(t.admin.token)).send({ name: 'User One Updated', email: `new-${userId}`, role: 'vip' });
      expect(updated.body).toEqual({ status: 'success', message: 'User updated', processing_time: expect.any(Number) });
      // The email changed; the id seed 000 knows the user by did not.
      const after = await http().get(`/crm/get_user/${userId}`).set(bearer(t.admin.token));
      expect(after.body.user).toEqual({ user_id: userId, name: 'User One Updated', email: `new-${userId}`, role: 'vip' });
      const empty = await http().put(`/crm/update_user/${userId}`).set(bearer(t.admin.token)).send({});
      expect(empty.status).toBe(422);

      expect((await http().get(`/crm/get_user/${userId}`).set(bearer(other.admin.token))).body).toEqual(seed000Error('not_found'));
      expect((await http().delete(`/crm/delete_user/${userId}`).set(bearer(other.admin.token))).status).toBe(404);
      const deleted = await http().delete(`/crm/delete_user/${userId}`).set(bearer(t.admin.token));
      expect(deleted.body).toEqual({ status: 'success', message: 'User deleted', processing_time: expect.any(Number) });
      const gone = await http().get(`/crm/get_user/${userId}`).set(bearer(t.admin.token));
      expect(gone.status).toBe(404);
      expect(gone.body).toEqual(seed000Error('not_found'));
      expect((await http().put(`/crm/update_user/${unique('nobody')}`).set(bearer(t.admin.token)).send({ name: 'x' })).status).toBe(404);
      expect((await http().post('/users').set(bearer(t.admin.token)).send({ name: 'No id' })).status).toBe(422);
    });

    it('finds a user created by chat, and a customer from elsewhere by email', async () => {
      const email = `${unique('lead')}@example.com`;
      await http().post('/api/v1/leads').set(bearer(t.admin.token)).send({ name: 'Lead From Elsewhere', email }).expect(201);
      const got = await http().get(`/crm/get_user/${email}`).set(bearer(t.admin.token));
      expect(got.body.user).toEqual({ user_id: email, name: 'Lead From Elsewhere', email, role: 'user' });
      const res = await chat(t.admin.token, { message: 'Hello', user_id: email });
      expect(res.body.user_id).toBe(email);
      expect(await count('select count(*)::int as n from customers where tenant_id = ? and email = ?', [t.brokerId, email])).toBe(1);
    });

    it('lists a user’s conversations grouped by session, with each message and its reply', async () => {
      const userId = unique('talker');
      const [s1, s2] = [unique('s1'), unique('s2')];
      await chat(t.admin.token, { message: 'Show me offices in downtown.', user_id: userId, session_id: s1 }).expect(200);
      await chat(t.admin.token, { message: 'What is the rent?', user_id: userId, session_id: s1 }).expect(200);
      await chat(t.admin.token, { message: 'Hello again', user_id: userId, session_id: s2 }).expect(200);
      await http().post(`/crm/resolve_session/${s2}`).set(bearer(t.admin.token)).expect(200);
      const res = await http().get(`/crm/conversations/${userId}`).set(bearer(t.admin.token));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        status: 'success',
        user_id: userId,
        total_sessions: 2,
        sessions: [
          {
            session_id: s1,
            user_id: userId,
            status: 'Inquiring',
            conversations: [
              { chat_id: expect.any(String), timestamp: expect.any(String), message: 'Show me offices in downtown.', response: expect.stringMatching(/Downtown office suite 501/) },
              { chat_id: expect.any(String), timestamp: expect.any(String), message: 'What is the rent?', response: expect.any(String) },
            ],
          },
          { session_id: s2, user_id: userId, status: 'Resolved', conversations: [{ chat_id: expect.any(String), timestamp: expect.any(String), message: 'Hello again', response: expect.any(String) }] },
        ],
        processing_time: expect.any(Number),
      });
      const unknown = await http().get(`/crm/conversations/${unique('nobody')}`).set(bearer(t.admin.token));
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual(seed000Error('not_found'));
      expect((await http().get(`/crm/conversations/${userId}`).set(bearer(other.admin.token))).status).toBe(404);
    });

    it('resets one user’s chat history, or all of the tenant’s, for admins only', async () => {
      const [a, b] = [unique('reset-a'), unique('reset-b')];
      await chat(t.admin.token, { message: 'Hello', user_id: a }).expect(200);
      await chat(t.admin.token, { message: 'Hello again', user_id: a }).expect(200);
      await chat(t.admin.token, { message: 'Hello', user_id: b }).expect(200);
      const theirs = await chat(other.admin.token, { message: 'Hello', user_id: a });

      const forbidden = await http().post('/reset').set(bearer(t.agent.token)).send({ user_id: a });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body).toEqual(seed000Error('forbidden'));
      expect((await http().post('/reset').set(bearer(t.admin.token)).send({ user_id: unique('nobody') })).status).toBe(404);

      const one = await http().post('/reset').set(bearer(t.admin.token)).send({ user_id: a });
      expect(one.body).toEqual({ status: 'success', message: `All chat history for user ${a} deleted.`, deleted_count: 4, processing_time: expect.any(Number) });
      expect((await http().get(`/crm/conversations/${a}`).set(bearer(t.admin.token))).body.total_sessions).toBe(0);
      expect((await http().get(`/crm/conversations/${b}`).set(bearer(t.admin.token))).body.total_sessions).toBe(1);

      const before = await count('select count(*)::int as n from chat_messages where tenant_id = ?', [t.brokerId]);
      const all = await http().post('/reset').set(bearer(t.admin.token)).send({});
      expect(all.body).toEqual({ status: 'success', message: 'All chat history deleted.', deleted_count: before, processing_time: expect.any(Number) });
      expect(await count('select count(*)::int as n from chat_sessions where tenant_id = ?', [t.brokerId])).toBe(0);
      // Another tenant's history is untouched.
      expect(await count('select count(*)::int as n from chat_sessions where tenant_id = ? and external_id is null and id = ?', [other.brokerId, theirs.body.session_id])).toBe(1);
    });
  });

  describe('seed 002 AI assistance', () => {
    const assist = (path: string, token: string, body: Record<string, unknown>) => http().post(`/api/v1/ai/assist${path}`).set(bearer(token)).send(body);

    it('answers synchronously with the reply, its sources and the session', async () => {
      const res = await assist('', t.agent.token, { query: 'Do you have an office in downtown for rent?' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ response: expect.stringMatching(/Downtown office suite 501/), session_id: expect.any(String), client_id: expect.any(String), lead_id: res.body.client_id, sources: { passages: expect.any(Array), listings: expect.any(Array) } });
      const [listing] = await ctx.sql<{ id: string }>("select id from properties where tenant_id = ? and external_id = 'AD-1'", [t.brokerId]);
      expect(res.body.sources.listings).toContain(listing!.id);
      const next = await assist('', t.agent.token, { message: 'And the size?', session_id: res.body.session_id, client_id: res.body.client_id });
      expect(next.status).toBe(200);
      expect(next.body.session_id).toBe(res.body.session_id);
    });

    it.each([
      ['both message and query', { message: 'a', query: 'b' }, 422],
      ['neither message nor query', {}, 422],
      ['an empty query', { query: ' ' }, 422],
      ['a 4,001-character message', { message: 'x'.repeat(4001) }, 422],
      ['two different customers', { message: 'hi', lead_id: randomUUID(), client_id: randomUUID() }, 422],
      ['an unknown client', { message: 'hi', client_id: randomUUID() }, 404],
      ['an unknown session', { message: 'hi', session_id: randomUUID() }, 404],
    ])('refuses %s', async (_label, body, status) => {
      const res = await assist('', t.admin.token, body);
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ status: 'error', error: { code: expect.any(String), message: expect.any(String) } });
    });

    it('hides another tenant’s sessions and refuses a resolved one', async () => {
      const res = await assist('', t.admin.token, { message: 'Hello' });
      expect((await assist('', other.admin.token, { message: 'Hello', session_id: res.body.session_id })).status).toBe(404);
      expect((await assist('/task', other.admin.token, { message: 'Hello', session_id: res.body.session_id })).status).toBe(404);
      await http().post(`/api/v1/chat/sessions/${res.body.session_id}/resolve`).set(bearer(t.admin.token)).expect(200);
      const late = await assist('', t.admin.token, { message: 'Hello?', session_id: res.body.session_id });
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe('session_resolved');
      expect((await assist('/task', t.admin.token, { message: 'Hello?', session_id: res.body.session_id })).status).toBe(409);
    });

    it('queues a turn as a task and reports it until it completes', async () => {
      const queued = await assist('/task', t.agent.token, { query: 'Any office in downtown?' });
      expect(queued.status).toBe(202);
      expect(queued.body).toEqual({ task_id: expect.any(String), status: 'queued', session_id: expect.any(String), client_id: expect.any(String), message_id: expect.any(String) });
      expect(queued.headers.location).toBe(`/api/v1/ai/assist/task/${encodeURIComponent(queued.body.task_id)}`);
      const path = `/api/v1/ai/assist/task/${encodeURIComponent(queued.body.task_id)}`;
      const status = await http().get(path).set(bearer(t.agent.token));
      expect(status.status).toBe(200);
      expect(['running', 'completed']).toContain(status.body.status);
      let done = await http().get(`${path}?wait=20`).set(bearer(t.agent.token));
      // A loaded machine may need more than one long poll.
      for (let i = 0; i < 3 && done.body.status === 'running'; i++) done = await http().get(`${path}?wait=20`).set(bearer(t.agent.token));
      expect(done.body).toEqual({ task_id: queued.body.task_id, status: 'completed', result: expect.objectContaining({ response: expect.stringMatching(/Downtown office suite 501/), session_id: queued.body.session_id, client_id: queued.body.client_id, message_id: queued.body.message_id }) });
      expect(await count("select count(*)::int as n from chat_messages where session_id = ? and direction = 'out'", [queued.body.session_id])).toBe(1);

      // Another tenant, a forged message id and a malformed id all read as no such task.
      const [session, run] = queued.body.task_id.split('.');
      for (const [token, id] of [
        [other.admin.token, queued.body.task_id],
        [t.admin.token, `${session}.${run}.not-a-message`],
        [t.admin.token, `${session}.not-a-run.${queued.body.message_id}`],
        [t.admin.token, 'garbage'],
        [t.admin.token, `${randomUUID()}.${run}.${queued.body.message_id}`],
      ] as const) {
        const res = await http().get(`/api/v1/ai/assist/task/${encodeURIComponent(id)}`).set(bearer(token));
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
      expect((await http().get(`${path}?wait=100`).set(bearer(t.agent.token))).status).toBe(422);
    }, 120_000);

    it('still reports a task after its session continued as new', async () => {
      const queued = await assist('/task', t.admin.token, { message: 'Hello' });
      const path = `/api/v1/ai/assist/task/${encodeURIComponent(queued.body.task_id)}`;
      const first = await http().get(`${path}?wait=20`).set(bearer(t.admin.token));
      expect(first.body.status).toBe('completed');
      for (const message of ['Second', 'Third']) await assist('', t.admin.token, { message, session_id: queued.body.session_id }).expect(200);
      const workflowId = `chat:${t.brokerId}:${queued.body.session_id}`;
      expect((await ctx.temporal.client.workflow.getHandle(workflowId).describe()).runId).not.toBe(queued.body.task_id.split('.')[1]);
      const later = await http().get(path).set(bearer(t.admin.token));
      expect(later.body).toEqual(first.body);
    });

    it('previews the prompt without storing anything or starting a workflow', async () => {
      const sessions = await count('select count(*)::int as n from chat_sessions where tenant_id = ?', [t.brokerId]);
      const messages = await count('select count(*)::int as n from chat_messages where tenant_id = ?', [t.brokerId]);
      const customers = await count('select count(*)::int as n from customers where tenant_id = ?', [t.brokerId]);
      const res = await assist('/preview', t.agent.token, { query: 'Office in downtown for rent?' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ system_prompt: expect.any(String), context: expect.any(String), messages: [{ role: 'user', content: 'Office in downtown for rent?' }], passages: expect.any(Array), listings: expect.any(Array) });
      expect(res.body.system_prompt).toMatch(/^You are Sofía/);
      expect(res.body.context).toMatch(/Reply language: en/);
      expect(res.body.context).toMatch(/Downtown office suite 501/);
      expect(res.body.listings[0]).toMatchObject({ id: expect.any(String), title: 'Downtown office suite 501', city: 'Downtown', listing_type: 'rent', score: expect.any(Number) });
      expect(await count('select count(*)::int as n from chat_sessions where tenant_id = ?', [t.brokerId])).toBe(sessions);
      expect(await count('select count(*)::int as n from chat_messages where tenant_id = ?', [t.brokerId])).toBe(messages);
      expect(await count('select count(*)::int as n from customers where tenant_id = ?', [t.brokerId])).toBe(customers);
    });

    it('previews within a session: its history and known facts, and hides other tenants’ sessions', async () => {
      const first = await assist('', t.admin.token, { message: 'Hi, my name is Carla Diaz' });
      const res = await assist('/preview', t.admin.token, { message: 'Any offices?', session_id: first.body.session_id });
      expect(res.body.messages).toEqual([
        { role: 'user', content: 'Hi, my name is Carla Diaz' },
        { role: 'assistant', content: first.body.response },
        { role: 'user', content: 'Any offices?' },
      ]);
      expect(res.body.context).toMatch(/- name: Carla Diaz/);
      expect((await assist('/preview', other.admin.token, { message: 'Any offices?', session_id: first.body.session_id })).status).toBe(404);
      expect((await assist('/preview', t.admin.token, { message: '' })).status).toBe(422);
    });
  });

  describe('seed 003', () => {
    let writeKey: string;
    let adminKey: string;
    beforeAll(async () => {
      const key = async (scopes: string[]) => (await http().post('/api/v1/api-keys').set(bearer(t.admin.token)).send({ name: unique('seed003'), scopes })).body.key as string;
      [writeKey, adminKey] = [await key(['read', 'write']), await key(['read', 'write', 'admin'])];
    });
    const chat = (path: string, body: Record<string, unknown>, key = writeKey) => http().post(path).set('X-API-Key', key).send(body);

    it.each(['/api/chat', '/api/v1/chat'])('chats through %s in the project flow with an API key', async (path) => {
      const sessionId = unique('unique_session_identifier');
      const email = `${unique('client')}@example.com`;
      const res = await chat(path, { message: 'I need a mobile app for my business', session_id: sessionId, user_info: { name: 'John Doe', email } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ response: expect.any(String), session_id: sessionId, conversation_state: { current_step: 'requirement_gathering', collected_info: expect.objectContaining({ project_type: 'mobile_app' }) } });
      const [row] = await ctx.sql<{ flow: string; name: string; email: string }>('select s.flow, c.name, c.email from chat_sessions s join customers c on c.id = s.lead_id where s.tenant_id = ? and s.external_id = ?', [t.brokerId, sessionId]);
      expect(row).toEqual({ flow: 'project', name: 'John Doe', email });
    });

    it('keeps sessions apart when a client numbers its messages per session', async () => {
      const [a, b] = [unique('sess'), unique('sess')];
      const first = await chat('/api/chat', { message: 'I need a website', session_id: a, message_id: 'msg-1' });
      const second = await chat('/api/chat', { message: 'I need a mobile app', session_id: b, message_id: 'msg-1' });
      expect([first.status, second.status]).toEqual([200, 200]);
      const rows = await ctx.sql<{ external_id: string; n: number }>(
        'select s.external_id, count(m.id)::int as n from chat_sessions s join chat_messages m on m.session_id = s.id where s.tenant_id = ? and s.external_id in (?, ?) group by s.external_id order by s.external_id',
        [t.brokerId, a, b],
      );
      expect(rows).toEqual([a, b].sort().map((external_id) => ({ external_id, n: 2 })));
    });

    it('returns a session’s history and collected facts, and deletes it', async () => {
      const sessionId = unique('sess');
      await chat('/api/chat', { message: 'I need a mobile app for my business', session_id: sessionId }).expect(200);
      await chat('/api/chat', { message: 'It needs payments and user accounts', session_id: sessionId }).expect(200);
      const res = await http().get(`/api/sessions/${sessionId}`).set('X-API-Key', writeKey);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        session_id: sessionId,
        created_at: expect.any(String),
        last_active: expect.any(String),
        conversation_history: [
          { role: 'user', content: 'I need a mobile app for my business', timestamp: expect.any(String) },
          { role: 'assistant', content: expect.any(String), timestamp: expect.any(String) },
          { role: 'user', content: 'It needs payments and user accounts', timestamp: expect.any(String) },
          { role: 'assistant', content: expect.any(String), timestamp: expect.any(String) },
        ],
        collected_info: expect.objectContaining({ project_type: 'mobile_app', features: expect.stringContaining('payments') }),
      });
      expect(Date.parse(res.body.last_active)).toBeGreaterThanOrEqual(Date.parse(res.body.created_at));

      const forbidden = await http().delete(`/api/sessions/${sessionId}`).set('X-API-Key', writeKey);
      expect(forbidden.status).toBe(403);
      expect(forbidden.body).toEqual(seed003Error('forbidden'));
      const deleted = await http().delete(`/api/sessions/${sessionId}`).set('X-API-Key', adminKey);
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({ status: 'success', message: 'Session deleted successfully' });
      const gone = await http().get(`/api/sessions/${sessionId}`).set('X-API-Key', writeKey);
      expect(gone.status).toBe(404);
      expect(gone.body).toEqual(seed003Error('not_found'));
      expect((await http().delete(`/api/sessions/${sessionId}`).set('X-API-Key', adminKey)).status).toBe(404);
    });

    it.each([
      ['no session_id', { message: 'hi' }],
      ['an empty message', { message: '', session_id: 'x' }],
      ['a 4,001-character message', { message: 'x'.repeat(4001), session_id: 'x' }],
      ['a malformed email', { message: 'hi', session_id: 'x', user_info: { email: 'nope' } }],
      ['an unknown field', { message: 'hi', session_id: 'x', extra: true }],
    ])('answers 400 in seed 003’s shape for %s', async (_label, body) => {
      const res = await chat('/api/chat', body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(seed003Error('validation_error'));
      expect(res.body.error.details.issues).toEqual(expect.any(Array));
    });

    it('answers 401 in seed 003’s shape without a valid key', async () => {
      for (const res of [await http().post('/api/chat').send({ message: 'hi', session_id: 'x' }), await http().get('/api/sessions/x').set('X-API-Key', 'ck_wrong')]) {
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String), details: {} } });
      }
    });

    it('hides other tenants’ sessions and refuses a resolved one', async () => {
      const sessionId = unique('sess');
      await chat('/api/chat', { message: 'I need a website', session_id: sessionId }).expect(200);
      const theirs = await http().get(`/api/sessions/${sessionId}`).set(bearer(other.admin.token));
      expect(theirs.status).toBe(404);
      expect(theirs.body).toEqual(seed003Error('not_found'));
      expect((await http().delete(`/api/sessions/${sessionId}`).set(bearer(other.admin.token))).status).toBe(404);
      expect((await http().get(`/api/sessions/${unique('missing')}`).set('X-API-Key', writeKey)).status).toBe(404);

      const [row] = await ctx.sql<{ id: string }>('select id from chat_sessions where tenant_id = ? and external_id = ?', [t.brokerId, sessionId]);
      await http().post(`/api/v1/chat/sessions/${row!.id}/resolve`).set(bearer(t.admin.token)).expect(200);
      const late = await chat('/api/chat', { message: 'One more thing', session_id: sessionId });
      expect(late.status).toBe(409);
      expect(late.body).toEqual(seed003Error('session_resolved'));
    });
  });
});
