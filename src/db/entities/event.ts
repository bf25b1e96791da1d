import { defineEntity, type InferEntity } from '@mikro-orm/core';

/**
 * The durable event log behind the NOTIFY bus: every published event is a row, so a WebSocket
 * client that reconnects can catch up from the last id it saw.
 */
export const EventSchema = defineEntity({
  name: 'Event',
  tableName: 'events',
  // A client's catch-up reads one topic after an id.
  indexes: [{ name: 'events_topic_id_index', properties: ['topic', 'id'] }],
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    topic: p.string().length(200),
    type: p.string().length(100),
    tenantId: p.string().length(64).nullable().index(),
    payload: p.json<Record<string, unknown>>(),
    idempotencyKey: p.string().length(300).nullable().unique(),
    createdAt: p.datetime().defaultRaw('now()'),
  }),
});

export type Event = InferEntity<typeof EventSchema>;
