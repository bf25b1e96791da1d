import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createActivities } from '../activities';
import type { Config } from '../src/config';
import type { SearchClient } from '../src/search/client';

export interface WorkerDeps {
  config: Pick<Config, 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE' | 'WORKER_SHUTDOWN_GRACE_MS'>;
  connection: NativeConnection;
  workflowBundle: WorkflowBundleOption;
  orm: MikroORM;
  es: SearchClient;
  taskQueue?: string;
}

/** The one place a Worker is configured, for the worker process and integration tests alike. */
export function createWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    taskQueue: deps.taskQueue ?? deps.config.TEMPORAL_TASK_QUEUE,
    workflowBundle: deps.workflowBundle,
    activities: createActivities({ orm: deps.orm, es: deps.es }),
    shutdownGraceTime: deps.config.WORKER_SHUTDOWN_GRACE_MS,
  });
}
