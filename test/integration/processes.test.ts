import { randomUUID } from 'node:crypto';
import { healthProbeWorkflowId, topics, type HealthProbeResult } from '../../src/contracts';
import { startServer, type RunningServer } from '../../src/server';
import { createTestContext, type TestContext } from '../support/context';
import { freePort, spawnEntry, waitForOutput, type Spawned } from '../support/processes';
import { isEvent, WsRecorder } from '../support/ws';

describe('the worker process', () => {
  let ctx: TestContext;
  let running: RunningServer;
  const spawned: Spawned[] = [];
  const startWorkerProcess = async () => {
    const proc = spawnEntry('worker/main.ts', { TEMPORAL_TASK_QUEUE: ctx.temporal.taskQueue });
    spawned.push(proc);
    await waitForOutput(proc, /worker polling/);
    return proc;
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    running = await startServer(ctx, { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    for (const p of spawned) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await running.close();
    await ctx.close();
  });

  it('loses nothing in flight when killed and started again', async () => {
    const probeId = randomUUID();
    const client = await WsRecorder.connect(`${running.url.replace('http', 'ws')}/ws?topics=${topics.probe(probeId)}`);
    try {
      const first = await startWorkerProcess();
      const handle = await ctx.temporal.client.workflow.start('healthProbe', {
        taskQueue: ctx.temporal.taskQueue,
        workflowId: healthProbeWorkflowId(probeId),
        args: [{ probeId, holdMs: 3000 }],
      });
      await client.waitFor(isEvent('probe.started'));
      first.child.kill('SIGKILL');
      await first.exited;
      expect(client.events('probe.finished')).toHaveLength(0);

      const second = await startWorkerProcess();
      const result = (await handle.result()) as HealthProbeResult;
      await client.waitFor(isEvent('probe.finished'), 30_000);
      expect(client.events().map((e) => e.type)).toEqual(['probe.started', 'probe.finished']);
      expect(client.events().map((e) => e.id)).toEqual([result.startedEventId, result.finishedEventId]);

      // A graceful stop drains and exits cleanly.
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(second.output()).toContain('worker drained and stopped');
    } finally {
      client.close();
    }
  });
});

describe('the API process', () => {
  it('refuses to start on a bad setting and names it', async () => {
    const proc = spawnEntry('src/main.ts', { PORT: 'eighty' });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/PORT/);
    expect(proc.output()).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  it('serves, then shuts down gracefully on SIGINT', async () => {
    const port = await freePort();
    const proc = spawnEntry('src/main.ts', { PORT: String(port), HOST: '127.0.0.1' });
    try {
      await waitForOutput(proc, /api listening/);
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      expect(res.status).toBe(200);
      proc.child.kill('SIGINT');
      expect(await proc.exited).toBe(0);
      expect(proc.output()).toContain('api stopped');
    } finally {
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    }
  });
});
