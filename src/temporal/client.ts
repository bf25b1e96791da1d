import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';

export interface TemporalDeps {
  client: Client;
  connection: Connection;
  taskQueue: string;
}

/**
 * A lazy connection lets the API start (and report Temporal as down on /health/details) while the
 * server is still coming up; the first call connects.
 */
export function createTemporal(config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE'>): TemporalDeps {
  const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS, connectTimeout: 5000 });
  return {
    connection,
    client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
  };
}
