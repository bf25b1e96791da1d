import { Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { PublishEventInput } from '../src/contracts';
import type { ServiceCheck } from '../src/contracts/health-probe';
import { publishEvent } from '../src/events/bus';
import { leadActivities } from '../src/leads/activities';
import { checkElasticsearch, checkPostgres } from '../src/health';
import type { Config } from '../src/config';
import { createEmbedder, type Embedder } from '../src/embeddings';
import type { SearchClient } from '../src/search/client';
import { retrieve } from '../src/search/retrieve';
import type { RetrieveInput } from '../src/contracts/retrieval';
import { createIngestionActivities } from './ingestion';
import { createChatActivities } from './chat';
import { createLlmProvider, type LlmProvider } from '../src/llm';
import type { TemporalDeps } from '../src/temporal/client';
import type { Logger } from '../src/logger';
import pino from 'pino';

const silentLogger = pino({ level: 'silent' });
import { createSearchSyncActivities } from './search-sync';
import { createWebhookActivities } from './webhooks';

export interface ActivityDeps {
  orm: MikroORM;
  es: SearchClient;
  config: Config;
  /** Defaults to the configured one; tests inject others. */
  embedder?: Embedder;
  /** Defaults to the configured provider (offline without ANTHROPIC_API_KEY). */
  llm?: LlmProvider;
  /** For signalling lead workflows from chat turns. */
  temporal?: TemporalDeps;
  logger?: Logger;
}

/** Builds the activities from injected clients, so tests and the worker wire the same code. */
export function createActivities(deps: ActivityDeps) {
  const embedder = deps.embedder ?? createEmbedder(deps.config);
  const retrieveFor = (input: RetrieveInput) => retrieve({ es: deps.es, embedder, prefix: deps.config.ELASTICSEARCH_INDEX_PREFIX }, input);
  const search = { orm: deps.orm, es: deps.es, embedder, indexPrefix: deps.config.ELASTICSEARCH_INDEX_PREFIX, batchSize: deps.config.INGEST_BATCH_SIZE };
  return {
    ...leadActivities(deps.orm),

    /**
     * Publishes an event to WebSocket and SSE listeners. The default idempotency key is the
     * activity's identity in its run, so a retried attempt never delivers the event twice.
     */
    async publishEvent(input: PublishEventInput): Promise<number> {
      const { workflowExecution: run, activityId } = Context.current().info;
      const idempotencyKey = input.idempotencyKey ?? (run ? `${run.workflowId}:${run.runId}:${activityId}` : undefined);
      return publishEvent(deps.orm.em.fork(), { ...input, idempotencyKey });
    },

    /** What the worker itself can reach: a worker that polls but cannot reach Postgres is not healthy. */
    async checkWorkerServices(): Promise<{ postgres: ServiceCheck; elasticsearch: ServiceCheck }> {
      const [postgres, elasticsearch] = await Promise.all([checkPostgres(deps.orm), checkElasticsearch(deps.es)]);
      return { postgres, elasticsearch };
    },

    ...createWebhookActivities(deps),
    ...createIngestionActivities(search),
    ...createSearchSyncActivities(search),

    ...createChatActivities({ orm: deps.orm, config: deps.config, llm: deps.llm ?? createLlmProvider(deps.config), retrieve: retrieveFor, temporal: deps.temporal, logger: deps.logger ?? silentLogger }),

    /** Top passages and listings for a question, tenant-scoped: what a chat reply is grounded in. */
    async retrieveContext(input: RetrieveInput) {
      return retrieveFor(input);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
