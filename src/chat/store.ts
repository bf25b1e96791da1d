import type { EntityManager } from '@mikro-orm/postgresql';
import { topics } from '../contracts/events';
import type { ChatChannel, SessionStatus } from '../contracts/chat';
import { ChatSessionSchema, type ChatSession } from '../db/entities';
import { publishEvent } from '../events/bus';

/**
 * Session writes shared by the chat workflow's activities and by the API when no workflow runs
 * for the session (never started, or closed while idle): one place decides what a stored message
 * or a status change looks like.
 */

/** Stores a customer's or agent's message once per client message id; returns its id either way. */
export async function storeMessageOnce(
  em: EntityManager,
  m: { tenantId: string; sessionId: string; leadId: string; text: string; messageId: string; channel: ChatChannel; direction: 'in' | 'out'; senderType: 'customer' | 'agent'; actorId: string | null },
): Promise<number> {
  const rows = await em.execute<Array<{ id: string }>>(
    `insert into chat_messages (tenant_id, session_id, lead_id, direction, sender_type, content, client_message_id, channel, actor_id, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, now())
     on conflict (session_id, client_message_id, direction) do update set content = chat_messages.content
     returning id`,
    [m.tenantId, m.sessionId, m.leadId, m.direction, m.senderType, m.text, m.messageId, m.channel, m.actorId],
  );
  return Number(rows[0]!.id);
}

/** A person's reply in a handed-off session: stored once and sent to the session's listeners. */
export async function storeAgentReply(
  em: EntityManager,
  session: Pick<ChatSession, 'id' | 'tenantId' | 'leadId' | 'channel'>,
  reply: { agentId: string; text: string; messageId: string },
): Promise<number> {
  const id = await storeMessageOnce(em, { tenantId: session.tenantId, sessionId: session.id, leadId: session.leadId, text: reply.text, messageId: reply.messageId, channel: session.channel, direction: 'out', senderType: 'agent', actorId: reply.agentId });
  await em.nativeUpdate(ChatSessionSchema, { id: session.id }, { lastMessageAt: new Date() });
  await publishEvent(em, {
    topic: topics.chatSession(session.tenantId, session.id),
    tenantId: session.tenantId,
    type: 'chat.message',
    payload: { session_id: session.id, lead_id: session.leadId, message_id: id, direction: 'out', sender_type: 'agent', content: reply.text, agent_id: reply.agentId },
    idempotencyKey: `chat-agent:${session.id}:${reply.messageId}`,
  });
  return id;
}

/** Records a lifecycle change (handoff, release, resolve, idle close) and announces it. */
export async function applySessionStatus(
  em: EntityManager,
  change: { tenantId: string; sessionId: string; status: SessionStatus; actorId: string | null; reason?: string; idempotencyKey: string },
): Promise<void> {
  const changes: Partial<ChatSession> = { status: change.status };
  if (change.status === 'handoff') Object.assign(changes, { handoffReason: change.reason ?? null, assignedAgentId: change.actorId });
  if (change.status === 'active') Object.assign(changes, { handoffReason: null });
  if (change.status === 'resolved') changes.resolvedAt = new Date();
  const n = await em.nativeUpdate(ChatSessionSchema, { id: change.sessionId }, changes);
  // A session deleted meanwhile has nobody to tell.
  if (n === 0) return;
  await publishEvent(em, {
    topic: topics.chatSession(change.tenantId, change.sessionId),
    tenantId: change.tenantId,
    type: 'chat.status',
    payload: { session_id: change.sessionId, status: change.status, actor_id: change.actorId, reason: change.reason ?? null },
    idempotencyKey: change.idempotencyKey,
  });
}
