import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { initOrm } from '../src/db/orm';
import { loadDotEnv } from '../src/env';
import { createLogger } from '../src/logger';
import { createSearchClient } from '../src/search/client';
import { createEmbedder } from '../src/embeddings';
import { rebuildStaleIndices } from '../src/knowledge/stale-indices';
import { createTemporal } from '../src/temporal/client';
import { exitOnStartupError } from '../src/startup';
import { loadWorkflowBundle } from './bundle';
import { createWorker } from './worker';

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const logger = createLogger(config, 'worker');
  Runtime.install({
    logger: new DefaultLogger(config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace' ? 'DEBUG' : 'WARN', (entry) => {
      const level = entry.level.toLowerCase() as Lowercase<LogLevel>;
      logger[level === 'trace' ? 'trace' : level]({ ...entry.meta }, entry.message);
    }),
  });

  const orm = await initOrm(config);
  const es = createSearchClient(config);
  let connection: NativeConnection | undefined;
  // A client for what activities start or signal (lead workflows, index rebuilds).
  const temporal = createTemporal(config);
  try {
    connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    const workflowBundle = await loadWorkflowBundle(config.WORKFLOW_BUNDLE_PATH, logger);
    const worker = await createWorker({ config, connection, workflowBundle, orm, es, temporal, logger });
    logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker polling');
    // Indices built by another embedder are rebuilt in the background; a failure here is logged,
    // not fatal: the next start tries again.
    rebuildStaleIndices({ es, temporal, config, embedder: createEmbedder(config) })
      .then((tenants) => tenants.length && logger.info({ tenants }, 'rebuilding search indices built by another embedder'))
      .catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not check the search indices'));
    // SIGINT/SIGTERM make the runtime shut the worker down: in-flight activities get the grace time.
    await worker.run();
    logger.info('worker drained and stopped');
  } finally {
    await connection?.close().catch(() => undefined);
    await temporal.connection.close().catch(() => undefined);
    await es.close().catch(() => undefined);
    await orm.close(true);
  }
}

main().catch(exitOnStartupError('worker'));
