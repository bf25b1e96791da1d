import { randomUUID } from 'node:crypto';
import { healthProbeWorkflowId, topics, type HealthProbeResult } from '../../src/contracts';
import { publishEvent } from '../../src/events/bus';
import { startServer, type RunningServer } from '../../src/server';
import { createTestContext, type TestContext } from '../support/context';
import { isEvent, WsRecorder } from '../support/ws';

describe('/ws hub', () => {
  let ctx: TestContext;
  let running: RunningServer;
  let wsUrl: string;
  const clients: WsRecorder[] = [];
  const connect = async (query: string) => {
    const client = await WsRecorder.connect(`${wsUrl}${query}`);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    await ctx.startWorker();
    running = await startServer(ctx, { host: '127.0.0.1', port: 0, access: async () => ({ mayFollow: (topic) => !topic.startsWith('secret:') }) });
    wsUrl = running.url.replace('http', 'ws') + '/ws';
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await running.close();
    await ctx.close();
  });

  it('pushes events published by a worker activity to a subscribed client', async () => {
    const probeId = randomUUID();
    const client = await connect(`?topics=${topics.probe(probeId)}`);
    await client.waitFor((m) => m.type === 'subscribed');
    const handle = await ctx.temporal.client.workflow.start('healthProbe', {
      taskQueue: ctx.temporal.taskQueue,
      workflowId: healthProbeWorkflowId(probeId),
      args: [{ probeId }],
    });
    const result = (await handle.result()) as HealthProbeResult;
    await client.waitFor(isEvent('probe.finished'));
    expect(client.events().map((e) => [e.id, e.type])).toEqual([
      [result.startedEventId, 'probe.started'],
      [result.finishedEventId, 'probe.finished'],
    ]);
    expect(client.events('probe.started')[0]!.payload).toMatchObject({ probeId, worker: { postgres: { ok: true } } });
  });

  it('sends only the topics a client follows, and follows new ones on request', async () => {
    const a = `test:${randomUUID()}`;
    const b = `test:${randomUUID()}`;
    const client = await connect(`?topics=${a}`);
    await client.waitFor((m) => m.type === 'subscribed');
    // Let the hub see the first event before the client follows its topic.
    const seen = new Promise<void>((resolve) => {
      const stop = ctx.events.subscribe((e) => e.topic === b && (stop(), resolve()));
    });
    await publishEvent(ctx.orm.em.fork(), { topic: b, type: 'ignored', payload: {} });
    await seen;
    client.send({ type: 'subscribe', topics: [b] });
    await client.waitFor((m) => m.type === 'subscribed' && (m.topics as string[]).includes(b));
    await publishEvent(ctx.orm.em.fork(), { topic: b, type: 'wanted', payload: {} });
    await publishEvent(ctx.orm.em.fork(), { topic: a, type: 'also-wanted', payload: {} });
    await client.waitFor(isEvent('also-wanted'));
    expect(client.events().map((e) => e.type)).toEqual(['wanted', 'also-wanted']);
  });

  it('replays stored events after `since`, then goes on live without doubles', async () => {
    const topic = `test:${randomUUID()}`;
    const first = await publishEvent(ctx.orm.em.fork(), { topic, type: 'one', payload: {} });
    await publishEvent(ctx.orm.em.fork(), { topic, type: 'two', payload: {} });
    await publishEvent(ctx.orm.em.fork(), { topic, type: 'three', payload: {} });
    const client = await connect(`?topics=${topic}&since=${first}`);
    await client.waitFor(isEvent('three'));
    await publishEvent(ctx.orm.em.fork(), { topic, type: 'four', payload: {} });
    await client.waitFor(isEvent('four'));
    expect(client.events().map((e) => e.type)).toEqual(['two', 'three', 'four']);
  });

  it('refuses topics the authorizer denies and answers bad messages with an error frame', async () => {
    const client = await connect('?topics=secret:x');
    await client.waitFor((m) => m.type === 'error' && (m.error as { code: string }).code === 'forbidden');
    client.send('not json');
    await client.waitFor((m) => m.type === 'error' && (m.error as { code: string }).code === 'invalid_message');
    client.send({ type: 'ping' });
    await client.waitFor((m) => m.type === 'pong');
  });

  it('rejects a malformed connect query and an unknown path at the handshake', async () => {
    await expect(WsRecorder.connect(`${wsUrl}?since=-4`)).rejects.toThrow(/400/);
    await expect(WsRecorder.connect(wsUrl.replace('/ws', '/elsewhere'))).rejects.toThrow(/404/);
  });
});
