import request from 'supertest';
import type Koa from 'koa';
import { createApp } from '../../src/http/app';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { maybeCaptureHistory } from '../support/histories';
import { bearer, registerTenant, type Tenant } from '../support/identity';

describe('an idle chat session', () => {
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;

  beforeAll(async () => {
    ctx = await createTestContext({ CHAT_IDLE_TIMEOUT_MS: 1500, AUTH_RATE_LIMIT_PER_MINUTE: 100_000 });
    app = createApp(ctx);
    await ctx.startWorker();
    t = await registerTenant(app);
  });
  afterAll(() => ctx.close());

  it('closes after the idle timeout and reopens with its history on the next message', async () => {
    const chat = (body: Record<string, unknown>) => request(app.callback()).post('/api/v1/chat/test').set(bearer(t.admin.token)).send(body);
    const first = await chat({ message: 'Hola, me llamo Lucía y busco casa' });
    const sid = first.body.session_id;
    const handle = ctx.temporal.client.workflow.getHandle(`chat:${t.brokerId}:${sid}`);
    const firstRun = (await handle.describe()).runId;
    await eventually('the idle run to complete', async () => (await handle.describe()).status.name, (status) => status === 'COMPLETED', 30_000, 100);
    await maybeCaptureHistory(handle, 'chat-session-idle-closed');
    expect((await ctx.sql<{ status: string }>('select status from chat_sessions where id = ?', [sid]))[0]!.status).toBe('closed');

    const again = await chat({ message: '¿Qué casas tienen?', session_id: sid });
    expect(again.status).toBe(200);
    expect(again.body.conversation_state.collected_info).toMatchObject({ name: 'Lucía' });
    // The reopening turn stored the session as active; the session may close again once idle.
    expect(again.body.session_status).toBe('active');
    expect((await handle.describe()).runId).not.toBe(firstRun);
  });

  it('keeps a handed-off session with its person through an idle close', async () => {
    const chat = (body: Record<string, unknown>) => request(app.callback()).post('/api/v1/chat/test').set(bearer(t.admin.token)).send(body);
    const first = await chat({ message: 'Quiero hablar con una persona' });
    expect(first.body.session_status).toBe('handoff');
    const sid = first.body.session_id;
    const handle = ctx.temporal.client.workflow.getHandle(`chat:${t.brokerId}:${sid}`);
    await handle.result();
    await maybeCaptureHistory(handle, 'chat-session-idle-handoff');
    expect((await ctx.sql<{ status: string }>('select status from chat_sessions where id = ?', [sid]))[0]!.status).toBe('handoff');
    const again = await chat({ message: '¿Sigue ahí alguien?', session_id: sid });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ response: null, session_status: 'handoff' });
  });
});
