import type { EntityManager } from '@mikro-orm/postgresql';
import { EVENTS_CHANNEL, type PublishEventInput } from '../contracts/events';

/**
 * NOTIFY payloads are limited to 8000 bytes; larger events travel as their id and listeners read
 * the row. Insert and notify are one statement, so an event is delivered only if it is stored.
 */
const PUBLISH_SQL = `
with inserted as (
  insert into events (topic, type, tenant_id, payload, idempotency_key)
  values (?, ?, ?, ?::jsonb, ?)
  on conflict (idempotency_key) do nothing
  returning id, topic, type, tenant_id, payload, created_at
), notified as (
  select id, pg_notify('${EVENTS_CHANNEL}', case when octet_length(body) < 7900 then body else json_build_object('id', id)::text end)
  from (
    select id, json_build_object('id', id, 'topic', topic, 'type', type, 'tenantId', tenant_id,
                                 'payload', payload, 'createdAt', created_at)::text as body
    from inserted
  ) rows
)
select id from notified
union all
select id from events where idempotency_key = ? and not exists (select 1 from inserted)`;

/**
 * Stores the event and notifies every listening API process. Returns the event id; publishing
 * again with the same idempotency key returns the first id and delivers nothing new.
 */
export async function publishEvent(em: EntityManager, event: PublishEventInput): Promise<number> {
  const key = event.idempotencyKey ?? null;
  const rows = await em.execute<Array<{ id: string }>>(PUBLISH_SQL, [event.topic, event.type, event.tenantId ?? null, JSON.stringify(event.payload), key, key]);
  return Number(rows[0]!.id);
}
