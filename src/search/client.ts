import { Client } from '@elastic/elasticsearch';
import type { Config } from '../config';

export type SearchClient = Client;

/** Request timeout stays below the activities' start-to-close timeouts so Temporal owns retries. */
export function createSearchClient(config: Pick<Config, 'ELASTICSEARCH_URL' | 'ELASTICSEARCH_REQUEST_TIMEOUT_MS'>): SearchClient {
  return new Client({
    node: config.ELASTICSEARCH_URL,
    requestTimeout: config.ELASTICSEARCH_REQUEST_TIMEOUT_MS,
    maxRetries: 2,
  });
}
