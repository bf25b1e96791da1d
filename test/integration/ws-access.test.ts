import { publishEvent } from '../../src/events/bus';
import { startServer, type RunningServer } from '../../src/server';
import { createTestContext, type TestContext } from '../support/context';
import { createSuperadmin, registerTenant, type Tenant } from '../support/identity';
import { isEvent, WsRecorder } from '../support/ws';
import { createApp } from '../../src/http/app';

describe('/ws topic access by identity', () => {
  let ctx: TestContext;
  let running: RunningServer;
  let a: Tenant;
  let b: Tenant;
  let root: { token: string };
  const clients: WsRecorder[] = [];
  const connect = async (query: string) => {
    const client = await WsRecorder.connect(`${running.url.replace('http', 'ws')}/ws${query}`);
    clients.push(client);
    return client;
  };
  const subscribed = (c: WsRecorder) => c.waitFor((m) => m.type === 'subscribed').then((m) => m.topics as string[]);

  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000 });
    running = await startServer(ctx, { host: '127.0.0.1', port: 0 });
    const app = createApp(ctx);
    [a, b] = [await registerTenant(app), await registerTenant(app)];
    root = await createSuperadmin(ctx, app);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await running.close();
    await ctx.close();
  });

  it("lets staff follow their own tenant's events and nobody else's", async () => {
    const own = await connect(`?access_token=${a.agent.token}&topics=tenant:${a.brokerId},tenant:${b.brokerId}`);
    expect(await subscribed(own)).toEqual([`tenant:${a.brokerId}`]);
    await own.waitFor((m) => m.type === 'error' && (m.error as { code: string }).code === 'forbidden');

    await publishEvent(ctx.orm.em.fork(), { topic: `tenant:${b.brokerId}`, tenantId: b.brokerId, type: 'lead.created', payload: { secret: 'b' } });
    await publishEvent(ctx.orm.em.fork(), { topic: `tenant:${a.brokerId}`, tenantId: a.brokerId, type: 'lead.updated', payload: {} });
    await own.waitFor(isEvent('lead.updated'));
    expect(own.events().map((e) => e.type)).toEqual(['lead.updated']);
  });

  it('keeps anonymous clients to public topics', async () => {
    const anonymous = await connect(`?topics=tenant:${a.brokerId},system`);
    expect(await subscribed(anonymous)).toEqual(['system']);
  });

  it('lets a SUPERADMIN follow any tenant', async () => {
    const admin = await connect(`?access_token=${root.token}&topics=tenant:${b.brokerId}`);
    expect(await subscribed(admin)).toEqual([`tenant:${b.brokerId}`]);
  });

  it('refuses the handshake for a bad token', async () => {
    await expect(WsRecorder.connect(`${running.url.replace('http', 'ws')}/ws?access_token=nope&topics=system`)).rejects.toThrow(/401/);
  });

  it('refuses credentials of another kind instead of connecting anonymously', async () => {
    await expect(WsRecorder.connect(`${running.url.replace('http', 'ws')}/ws?topics=system`, { Authorization: 'Basic dXNlcjpwYXNz' })).rejects.toThrow(/401/);
  });
});

describe('/ws access ends with the credentials', () => {
  let ctx: TestContext;
  let running: RunningServer;
  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000 });
    running = await startServer(ctx, { host: '127.0.0.1', port: 0, wsHeartbeatMs: 200 });
  });
  afterAll(async () => {
    await running.close();
    await ctx.close();
  });

  it('closes a connection soon after its session logs out', async () => {
    const t = await registerTenant(createApp(ctx));
    const client = await WsRecorder.connect(`${running.url.replace('http', 'ws')}/ws?access_token=${t.admin.token}&topics=tenant:${t.brokerId}`);
    await client.waitFor((m) => m.type === 'subscribed');
    const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
    await fetch(`${running.url}/api/v1/auth/logout`, { method: 'POST', headers: { Authorization: `Bearer ${t.admin.token}` } });
    expect(await closed).toBe(4401);
  });
});
