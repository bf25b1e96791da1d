import { Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { PublishEventInput } from '../src/contracts';
import type { ServiceCheck } from '../src/contracts/health-probe';
import { publishEvent } from '../src/events/bus';
import { leadActivities } from '../src/leads/activities';
import { checkElasticsearch, checkPostgres } from '../src/health';
import type { SearchClient } from '../src/search/client';
import { createWebhookActivities } from './webhooks';

export interface ActivityDeps {
  orm: MikroORM;
  es: SearchClient;
}

/** Builds the activities from injected clients, so tests and the worker wire the same code. */
export function createActivities(deps: ActivityDeps) {
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
  };
}

export type Activities = ReturnType<typeof createActivities>;
