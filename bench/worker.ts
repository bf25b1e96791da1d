import { randomUUID } from 'node:crypto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pino from 'pino';
import type { Config } from '../src/config';
import type { Orm } from '../src/db/orm';
import type { SearchClient } from '../src/search/client';
import { createTemporal, type TemporalDeps } from '../src/temporal/client';
import { buildWorkflowBundle } from '../worker/bundle';
import { createWorker } from '../worker/worker';

// Bundling takes seconds; a benchmark with several workers bundles the product's workflows once.
let productBundle: Promise<{ code: string }> | undefined;

/** An in-process worker on a task queue of its own, with a client for it: the product's wiring. */
export async function benchWorker(config: Config, orm: Orm, es: SearchClient): Promise<{ config: Config; temporal: TemporalDeps; worker: Worker; stop(): Promise<void> }> {
  const taskQueue = `bench-${randomUUID()}`;
  const queued = { ...config, TEMPORAL_TASK_QUEUE: taskQueue };
  const temporal = createTemporal(queued);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  productBundle ??= buildWorkflowBundle();
  const bundle = await productBundle;
  const worker = await createWorker({ config: queued, connection, workflowBundle: { code: bundle.code }, orm, es, temporal, logger: pino({ level: 'silent' }) });
  const running = worker.run();
  return {
    config: queued,
    temporal,
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await temporal.connection.close();
    },
  };
}

/** A tenant row with its default configuration, without going through HTTP. */
export async function benchTenant(orm: Orm): Promise<string> {
  const id = randomUUID();
  const conn = orm.em.fork().getConnection();
  await conn.execute(`insert into tenants (id, name, is_active, created_at, updated_at) values (?, ?, true, now(), now())`, [id, `Bench ${id.slice(0, 6)}`]);
  return id;
}
