import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { CHAT_CHANNELS, SESSION_STATUSES, type ConversationState } from '../../contracts/chat';

/** One conversation with one customer; its chatSession workflow orders the turns. */
export const ChatSessionSchema = defineEntity({
  name: 'ChatSession',
  tableName: 'chat_sessions',
  // A client's own session name (seed 000's and 003's `session_id`) is unique per tenant.
  uniques: [{ name: 'chat_sessions_tenant_external_unique', properties: ['tenantId', 'externalId'] }],
  indexes: [
    { name: 'chat_sessions_tenant_lead_index', properties: ['tenantId', 'leadId'] },
    { name: 'chat_sessions_tenant_last_message_index', properties: ['tenantId', 'lastMessageAt'] },
  ],
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenantId: p.uuid(),
    leadId: p.uuid(),
    externalId: p.string().length(200).nullable(),
    channel: p.enum([...CHAT_CHANNELS]).default('webchat'),
    /** Which facts the assistant collects: a property search, or a software project (seed 003). */
    flow: p.enum(['real_estate', 'project']).default('real_estate'),
    status: p.enum([...SESSION_STATUSES]).default('active'),
    workflowId: p.string().length(200),
    conversationState: p.json<ConversationState>(),
    messageCount: p.integer().default(0),
    handoffReason: p.string().length(300).nullable(),
    assignedAgentId: p.uuid().nullable(),
    lastMessageAt: p.datetime().nullable(),
    resolvedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
});
export type ChatSession = InferEntity<typeof ChatSessionSchema>;

/**
 * One message in a session. Customer messages carry the client's id, so a retried request never
 * stores twice; replies point at the message they answer.
 */
export const ChatMessageSchema = defineEntity({
  name: 'ChatMessage',
  tableName: 'chat_messages',
  uniques: [{ name: 'chat_messages_session_client_unique', properties: ['sessionId', 'clientMessageId', 'direction'] }],
  indexes: [
    { name: 'chat_messages_session_index', properties: ['sessionId', 'id'] },
    { name: 'chat_messages_tenant_lead_index', properties: ['tenantId', 'leadId', 'id'] },
  ],
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    tenantId: p.uuid(),
    sessionId: p.uuid(),
    leadId: p.uuid(),
    direction: p.enum(['in', 'out']),
    senderType: p.enum(['customer', 'assistant', 'agent', 'system']),
    /** As written (after sanitizing); clients must still escape it when rendering. */
    content: p.text(),
    clientMessageId: p.string().length(200),
    replyToId: p.bigint('number').nullable(),
    channel: p.enum([...CHAT_CHANNELS]).default('webchat'),
    /** Passage and listing ids the reply was grounded in. */
    sources: p.json<{ passages: string[]; listings: string[] }>().nullable(),
    provider: p.string().length(50).nullable(),
    model: p.string().length(100).nullable(),
    inputTokens: p.integer().default(0),
    outputTokens: p.integer().default(0),
    cacheReadTokens: p.integer().default(0),
    cacheWriteTokens: p.integer().default(0),
    costUsd: p.float().columnType('double precision').default(0),
    latencyMs: p.integer().nullable(),
    actorId: p.string().length(64).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  }),
});
export type ChatMessage = InferEntity<typeof ChatMessageSchema>;
