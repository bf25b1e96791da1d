import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { z } from 'zod';
import { healthProbeWorkflowId, type HealthProbeResult } from '../../contracts';
import { checkElasticsearch, checkPostgres, checkTemporal, timed } from '../../health';
import type { AppDeps } from '../deps';

export const HealthDetailsQuerySchema = z.object({
  probe: z.enum(['true', 'false']).optional().transform((v) => v === 'true'),
});

const PROBE_TIMEOUT_MS = 10_000;

/** Liveness for orchestrators, and the detailed view operators read. */
export function healthRoutes(deps: AppDeps): Router {
  const router = new Router();
  const startedAt = Date.now();

  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok', uptime_s: Math.round((Date.now() - startedAt) / 1000) };
  });

  router.get('/health/details', async (ctx) => {
    const query = HealthDetailsQuerySchema.parse(ctx.query);
    const [postgres, temporal, elasticsearch] = await Promise.all([
      checkPostgres(deps.orm),
      checkTemporal(deps.temporal, deps.config.TEMPORAL_NAMESPACE),
      checkElasticsearch(deps.es),
    ]);
    const probe = query.probe && temporal.workerPolling ? await runProbe(deps) : undefined;
    const healthy = postgres.ok && temporal.ok && elasticsearch.ok && temporal.workerPolling && deps.events.connected && (probe?.ok ?? true);
    ctx.status = healthy ? 200 : 503;
    ctx.body = {
      status: healthy ? 'ok' : 'degraded',
      services: { postgres, temporal, elasticsearch },
      worker: { polling: temporal.workerPolling, task_queue: temporal.taskQueue, pollers: temporal.pollers },
      events: { listening: deps.events.connected },
      ...(probe ? { probe } : {}),
    };
  });

  return router;
}

/** Runs the healthProbe workflow on the worker and waits for it, bounded. */
async function runProbe(deps: AppDeps) {
  const probeId = randomUUID();
  const workflowId = healthProbeWorkflowId(probeId);
  const { value, ...check } = await timed(async () => {
    const handle = await deps.temporal.client.workflow.start('healthProbe', {
      taskQueue: deps.temporal.taskQueue,
      workflowId,
      args: [{ probeId }],
      workflowExecutionTimeout: '30s',
    });
    return (await handle.result()) as HealthProbeResult;
  }, PROBE_TIMEOUT_MS);
  return { ...check, workflow_id: workflowId, ...(value ? { worker: value.worker } : {}) };
}
