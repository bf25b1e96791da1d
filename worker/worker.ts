import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createActivities } from '../activities';
import type { Config } from '../src/config';
import type { SearchClient } from '../src/search/client';
import type { TemporalDeps } from '../src/temporal/client';
import type { Logger } from '../src/logger';
import type { LlmProvider } from '../src/llm';

export interface WorkerDeps {
  config: Config;
  connection: NativeConnection;
  workflowBundle: WorkflowBundleOption;
  orm: MikroORM;
  es: SearchClient;
  taskQueue?: string;
  temporal?: TemporalDeps;
  logger?: Logger;
  llm?: LlmProvider;
}

/** The one place a Worker is configured, for the worker process and integration tests alike. */
export function createWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    taskQueue: deps.taskQueue ?? deps.config.TEMPORAL_TASK_QUEUE,
    workflowBundle: deps.workflowBundle,
    activities: createActivities({ orm: deps.orm, es: deps.es, config: deps.config, temporal: deps.temporal, logger: deps.logger, llm: deps.llm }),
    shutdownGraceTime: deps.config.WORKER_SHUTDOWN_GRACE_MS,
  });
}
