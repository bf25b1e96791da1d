import { randomUUID } from 'node:crypto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { MikroORM } from '@mikro-orm/postgresql';
import pino from 'pino';
import { AuthService } from '../../src/auth/service';
import { loadConfig, type Config } from '../../src/config';
import { initOrm } from '../../src/db/orm';
import { EventListener } from '../../src/events/listener';
import type { AppDeps } from '../../src/http/deps';
import { createSearchClient } from '../../src/search/client';
import { createTemporal } from '../../src/temporal/client';
import { createWorker } from '../../worker/worker';
import { WORKFLOW_BUNDLE_FILE } from './paths';

export interface TestContext extends AppDeps {
  /** Starts a worker on this context's own task queue; stopped by `close`. */
  startWorker(): Promise<Worker>;
  /** A raw query on the test database, outside any tenant filter, for what a test checks. */
  sql<T>(query: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * Requests that wait for a workflow (uploads, reindex, knowledge edits) wait longer in tests than
 * in production: a test checks what the work produced, and with every suite, the Temporal server
 * and Elasticsearch sharing two cores, a rebuild that takes seconds alone has taken a minute.
 */
const TEST_DEFAULTS: Partial<Config> = { INGEST_SYNC_WAIT_MS: 150_000 };

/** Real clients on the test database and a task queue unique to the calling test file. */
export async function createTestContext(overrides: Partial<Config> = {}): Promise<TestContext> {
  const taskQueue = `test-${randomUUID()}`;
  const config = loadConfig({ ...process.env, TEMPORAL_TASK_QUEUE: taskQueue, ...stringify({ ...TEST_DEFAULTS, ...overrides }) });
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const orm: MikroORM = await initOrm(config);
  const es = createSearchClient(config);
  const temporal = createTemporal(config);
  const events = new EventListener(config.DATABASE_URL, logger);
  await events.start();
  const workers: Array<{ worker: Worker; running: Promise<void>; connection: NativeConnection }> = [];

  return {
    config,
    logger,
    orm,
    es,
    temporal,
    events,
    auth: new AuthService(config),
    sql: <T>(query: string, params: unknown[] = []) => orm.em.fork().getConnection().execute<T[]>(query, params),
    async startWorker() {
      const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
      const worker = await createWorker({ config, connection, workflowBundle: { codePath: WORKFLOW_BUNDLE_FILE }, orm, es, temporal, logger });
      workers.push({ worker, running: worker.run(), connection });
      return worker;
    },
    async close() {
      for (const { worker, running, connection } of workers) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await connection.close();
      }
      await events.stop();
      await temporal.connection.close();
      await es.close();
      await orm.close(true);
    },
  };
}

function stringify(values: Partial<Config>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
}
