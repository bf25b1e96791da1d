import type { MikroORM } from '@mikro-orm/postgresql';
import { temporal } from '@temporalio/proto';
import type { ServiceCheck } from './contracts/health-probe';
import type { SearchClient } from './search/client';
import type { TemporalDeps } from './temporal/client';

const CHECK_TIMEOUT_MS = 3000;
/** A poller seen within this window counts as a live worker (Temporal keeps pollers ~5 min). */
const POLLER_FRESH_MS = 90_000;

/** Times `fn`, bounded so a hung dependency cannot hang the health endpoint. */
export async function timed<T>(fn: () => Promise<T>, timeoutMs = CHECK_TIMEOUT_MS): Promise<ServiceCheck & { value?: T }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: round(performance.now() - started), value };
  } catch (err) {
    return { ok: false, latencyMs: round(performance.now() - started), error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export function checkPostgres(orm: MikroORM): Promise<ServiceCheck> {
  return timed(() => orm.em.execute('select 1')).then(({ value: _v, ...check }) => check);
}

export async function checkElasticsearch(es: SearchClient): Promise<ServiceCheck & { clusterStatus?: string }> {
  const { value, ...check } = await timed(() => es.cluster.health({}, { requestTimeout: CHECK_TIMEOUT_MS }));
  if (!value) return check;
  return { ...check, ok: value.status !== 'red', clusterStatus: value.status };
}

export interface TemporalCheck extends ServiceCheck {
  serverVersion?: string;
  taskQueue: string;
  workerPolling: boolean;
  pollers: number;
}

export async function checkTemporal(deps: TemporalDeps, namespace: string): Promise<TemporalCheck> {
  const service = deps.connection.workflowService;
  const { value, ...check } = await timed(async () => {
    const info = await service.getSystemInfo({});
    const queue = { name: deps.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL };
    const described = await Promise.all(
      [temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY].map((taskQueueType) =>
        service.describeTaskQueue({ namespace, taskQueue: queue, taskQueueType }),
      ),
    );
    const now = Date.now();
    const fresh = described.map((d) =>
      (d.pollers ?? []).filter((p) => {
        const seconds = Number(p.lastAccessTime?.seconds ?? 0);
        return now - seconds * 1000 < POLLER_FRESH_MS;
      }),
    );
    return { serverVersion: info.serverVersion ?? undefined, workflowPollers: fresh[0]!.length, activityPollers: fresh[1]!.length };
  });
  return {
    ...check,
    taskQueue: deps.taskQueue,
    serverVersion: value?.serverVersion,
    workerPolling: Boolean(value && value.workflowPollers > 0 && value.activityPollers > 0),
    pollers: value ? Math.min(value.workflowPollers, value.activityPollers) : 0,
  };
}
