import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { CHAT_CHANNELS, SESSION_STATUSES, type ChatReply } from '../../contracts/chat';
import { ChatMessageSchema, ChatSessionSchema, CustomerSchema, LeadActivitySchema, type ChatMessage, type ChatSession } from '../../db/entities';
import { AppError } from '../../errors';
import { assertOpen, ClientMessageId, mapTurnError, MessageText, resolveTurnTarget, sendAgentReply, sendMessage, signalSession, type TurnTarget } from '../../chat/service';
import type { AppDeps } from '../deps';
import { findOr404 } from '../lookup';
import { visibility } from './leads';
import { namedTenant, principalOf, requestEm, requireRole, targetTenant } from '../middleware/identity';
import { numeric, Uuid } from '../schemas';

export const ChatTurnSchema = z.strictObject({
  message: MessageText,
  lead_id: Uuid.nullable().optional(),
  session_id: Uuid.nullable().optional(),
  provider: z.enum(CHAT_CHANNELS).default('webchat'),
  message_id: ClientMessageId.optional(),
});
type ChatTurnBody = z.infer<typeof ChatTurnSchema>;

const SessionCreateSchema = z.strictObject({
  lead_id: Uuid.optional(),
  channel: z.enum(CHAT_CHANNELS).default('webchat'),
  flow: z.enum(['real_estate', 'project']).default('real_estate'),
  customer: z.strictObject({ name: z.string().trim().min(1).max(200).optional(), email: z.email().max(320).optional() }).optional(),
});
const SessionListSchema = z.object({
  lead_id: Uuid.optional(),
  status: z.enum(SESSION_STATUSES).optional(),
  channel: z.enum(CHAT_CHANNELS).optional(),
  skip: numeric(z.number().int().min(0).max(1_000_000).default(0)),
  limit: numeric(z.number().int().min(1).max(200).default(50)),
  broker_id: Uuid.optional(),
});
const SessionMessageSchema = z.strictObject({ message: MessageText, message_id: ClientMessageId.optional() });
const AgentReplySchema = z.strictObject({ message: MessageText, message_id: ClientMessageId.optional() });
const HandoffSchema = z.strictObject({ reason: z.string().trim().min(1).max(300).default('requested by staff') });
const MessagesQuerySchema = z.object({
  skip: numeric(z.number().int().min(0).max(1_000_000).default(0)),
  limit: numeric(z.number().int().min(1).max(500).default(100)),
  provider: z.enum(CHAT_CHANNELS).optional(),
});

/** The client's id for a message: `Idempotency-Key`, else `message_id`, else a fresh one. */
export function messageIdOf(ctx: ParameterizedContext, bodyId?: string): string {
  const header = ctx.get('Idempotency-Key');
  if (header) {
    const parsed = ClientMessageId.safeParse(header);
    if (!parsed.success) throw new AppError(422, 'validation_error', 'Idempotency-Key is not a valid message id', [{ path: 'Idempotency-Key', message: parsed.error.issues[0]!.message }]);
    return parsed.data;
  }
  return bodyId ?? randomUUID();
}

export const presentMessage = (m: ChatMessage) => ({
  id: m.id,
  session_id: m.sessionId,
  direction: m.direction,
  sender_type: m.senderType,
  message_text: m.content,
  created_at: m.createdAt,
  ai_response_used: m.senderType === 'assistant',
  provider: m.channel,
  sources: m.sources,
  model: m.model,
  tokens: m.senderType === 'assistant' ? { input: m.inputTokens, output: m.outputTokens, cache_read: m.cacheReadTokens, cache_write: m.cacheWriteTokens } : undefined,
  cost_usd: m.senderType === 'assistant' ? m.costUsd : undefined,
});

export const presentSession = (s: ChatSession) => ({
  id: s.id,
  session_id: s.externalId ?? s.id,
  broker_id: s.tenantId,
  lead_id: s.leadId,
  channel: s.channel,
  flow: s.flow,
  status: s.status,
  conversation_state: s.conversationState,
  message_count: s.messageCount,
  handoff_reason: s.handoffReason,
  workflow_id: s.workflowId,
  last_message_at: s.lastMessageAt,
  resolved_at: s.resolvedAt,
  created_at: s.createdAt,
});

/** Seed 001's answer to a chat turn, with the session and state beside it. */
export const presentReply = (r: ChatReply, sessionId: string) => ({
  response: r.reply,
  lead_id: r.leadId,
  lead_score: r.leadScore,
  lead_status: r.leadStatus,
  session_id: sessionId,
  session_status: r.sessionStatus,
  message_id: r.messageId,
  conversation_state: r.conversationState,
  sources: r.sources,
});

/** The lead and session a turn body names (or new ones), in the caller's tenant. */
export async function turnTarget(ctx: ParameterizedContext, body: Pick<ChatTurnBody, 'lead_id' | 'session_id' | 'provider'>, extra: { messageId?: string; externalSessionId?: string; flow?: 'real_estate' | 'project'; customer?: { name?: string; email?: string } } = {}): Promise<TurnTarget> {
  const tenantId = targetTenant(ctx, z.object({ broker_id: Uuid.optional() }).parse(ctx.query).broker_id);
  return resolveTurnTarget(requestEm(), { tenantId, leadId: body.lead_id ?? undefined, sessionId: body.session_id ?? undefined, channel: body.provider, ...extra });
}

/**
 * Streams a turn as Server-Sent Events: tokens as they are produced, then `done` or `error`. The
 * turn runs on after this returns: Koa writes a body only once the middleware chain has finished,
 * so awaiting the turn here would hold every token back until the reply was complete.
 */
export function streamTurn(deps: AppDeps, ctx: ParameterizedContext, target: TurnTarget, messageId: string, text: string, channel: ChatTurnBody['provider']): void {
  // What is known before streaming is an HTTP status, as on the plain path; later failures are events.
  assertOpen(target.session);
  const stream = new PassThrough();
  ctx.status = 200;
  ctx.type = 'text/event-stream';
  ctx.set({ 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no', Connection: 'keep-alive' });
  ctx.body = stream;
  // A client that went away has its stream destroyed; the turn still completes and is stored.
  const send = (data: unknown) => {
    if (!stream.destroyed) stream.write(`data: ${JSON.stringify(data)}\n\n`);
  };
  // Only one attempt's text is forwarded: a retried model call would otherwise repeat itself.
  let attempt = 0;
  let sent = 0;
  const unsubscribe = deps.events.subscribeTokens(`${target.session.id}:${messageId}`, (chunk) => {
    if (chunk.attempt < attempt) return;
    if (chunk.attempt > attempt && sent > 0 && attempt !== 0) return;
    attempt = chunk.attempt;
    const end = chunk.offset + chunk.text.length;
    if (end <= sent) return;
    send({ token: chunk.text.slice(Math.max(0, sent - chunk.offset)) });
    sent = end;
  });
  const turn = async () => {
    try {
      const reply = await sendMessage(deps, target, { messageId, text, channel });
      // A reply answered from a finished turn (a retry) streams its text whole.
      if (sent === 0 && reply.reply) send({ token: reply.reply });
      send({ done: true, lead_id: reply.leadId, lead_score: reply.leadScore, lead_status: reply.leadStatus, conversation_state: reply.conversationState.current_step, collected_info: reply.conversationState.collected_info, session_id: target.session.id, message_id: messageId, response: reply.reply });
    } catch (err) {
      const mapped = mapTurnError(err) as AppError;
      send({ error: mapped.message, code: mapped.code ?? 'internal_error' });
    } finally {
      unsubscribe();
      stream.end();
    }
  };
  turn().catch((err: Error) => deps.logger.error({ err: err.message, sessionId: target.session.id }, 'chat stream failed'));
}

/** Seed 001's chat (test, stream, history, verify) and seed 002's sessions. */
export function chatRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/chat' });
  router.use(requireRole('SUPERADMIN', 'ADMIN', 'AGENT'));

  router.post('/test', async (ctx) => {
    const body = ChatTurnSchema.parse(ctx.request.body);
    const messageId = messageIdOf(ctx, body.message_id);
    const target = await turnTarget(ctx, body, { messageId });
    const reply = await sendMessage(deps, target, { messageId, text: body.message, channel: body.provider });
    ctx.body = presentReply(reply, target.session.id);
  });

  router.post('/stream', async (ctx) => {
    const body = ChatTurnSchema.parse(ctx.request.body);
    const messageId = messageIdOf(ctx, body.message_id);
    const target = await turnTarget(ctx, body, { messageId });
    streamTurn(deps, ctx, target, messageId, body.message, body.provider);
  });

  router.get('/verify/:lead_id', async (ctx) => {
    // The lead's record and activity log, seen as the lead routes show it: an agent sees their own.
    const lead = await findOr404(CustomerSchema, ctx.params.lead_id, 'Lead', visibility(ctx));
    const em = requestEm();
    const [messages, activities] = await Promise.all([
      em.find(ChatMessageSchema, { leadId: lead.id }, { orderBy: { id: 'asc' }, limit: 500 }),
      em.find(LeadActivitySchema, { customerId: lead.id }, { orderBy: { id: 'desc' }, limit: 100 }),
    ]);
    ctx.body = {
      lead: { id: lead.id, name: lead.name, phone: lead.phone, email: lead.email, location: lead.location, budget: lead.budget, property_type: lead.propertyType, timeline: lead.timeline, lead_score: lead.leadScore, status: lead.status, pipeline_stage: lead.pipelineStage },
      messages: messages.map(presentMessage),
      activity_logs: activities.map((a) => ({ id: a.id, type: a.type, description: a.description, data: a.data, created_at: a.createdAt })),
      data_completeness: { has_name: !!lead.name, has_phone: !!lead.phone, has_email: !!lead.email, has_location: !!lead.location, has_budget: !!lead.budget, has_property_type: !!lead.propertyType, has_timeline: !!lead.timeline },
    };
  });

  router.post('/sessions', async (ctx) => {
    const body = SessionCreateSchema.parse(ctx.request.body ?? {});
    const target = await turnTarget(ctx, { lead_id: body.lead_id, provider: body.channel }, { flow: body.flow, customer: body.customer });
    ctx.state.audit = { action: 'chat.session_create', resource: 'chat_sessions', resourceId: target.session.id };
    ctx.status = 201;
    ctx.body = presentSession(target.session);
  });

  router.get('/sessions', async (ctx) => {
    const q = SessionListSchema.parse(ctx.query);
    const where = { ...namedTenant(ctx, q.broker_id), ...(q.lead_id ? { leadId: q.lead_id } : {}), ...(q.status ? { status: q.status } : {}), ...(q.channel ? { channel: q.channel } : {}) };
    const [rows, total] = await requestEm().findAndCount(ChatSessionSchema, where, { orderBy: { createdAt: 'desc', id: 'asc' }, offset: q.skip, limit: q.limit });
    ctx.body = { data: rows.map(presentSession), total, skip: q.skip, limit: q.limit };
  });

  router.get('/sessions/:id', async (ctx) => {
    const session = await findOr404(ChatSessionSchema, ctx.params.id, 'Session');
    const messages = await requestEm().find(ChatMessageSchema, { sessionId: session.id }, { orderBy: { id: 'asc' }, limit: 1000 });
    ctx.body = { ...presentSession(session), messages: messages.map(presentMessage) };
  });

  router.post('/sessions/:id/messages', async (ctx) => {
    const body = SessionMessageSchema.parse(ctx.request.body);
    const messageId = messageIdOf(ctx, body.message_id);
    const session = await findOr404(ChatSessionSchema, ctx.params.id, 'Session');
    const target = await turnTarget(ctx, { session_id: session.id, provider: session.channel });
    const reply = await sendMessage(deps, target, { messageId, text: body.message });
    ctx.body = presentReply(reply, session.id);
  });

  router.post('/sessions/:id/resolve', async (ctx) => {
    const session = await findOr404(ChatSessionSchema, ctx.params.id, 'Session');
    await signalSession(deps, session, 'resolve', { actorId: principalOf(ctx).id });
    ctx.state.audit = { action: 'chat.resolve', resource: 'chat_sessions', resourceId: session.id };
    ctx.body = { ...presentSession({ ...session, status: 'resolved' }), message: `Session ${session.externalId ?? session.id} marked as Resolved.` };
  });

  router.post('/sessions/:id/handoff', async (ctx) => {
    const body = HandoffSchema.parse(ctx.request.body ?? {});
    const session = await openSession(ctx);
    await signalSession(deps, session, 'handoff', { actorId: principalOf(ctx).id, reason: body.reason });
    ctx.status = 202;
    ctx.body = { session_id: session.id, status: 'handoff' };
  });

  router.post('/sessions/:id/release', async (ctx) => {
    const session = await openSession(ctx);
    await signalSession(deps, session, 'releaseToBot', { actorId: principalOf(ctx).id });
    ctx.status = 202;
    ctx.body = { session_id: session.id, status: 'active' };
  });

  router.post('/sessions/:id/agent-reply', async (ctx) => {
    const body = AgentReplySchema.parse(ctx.request.body);
    const session = await openSession(ctx);
    if (session.status !== 'handoff') throw new AppError(409, 'not_handed_off', 'Hand the session off before replying as an agent');
    const messageId = messageIdOf(ctx, body.message_id);
    await sendAgentReply(deps, session, { agentId: principalOf(ctx).id, text: body.message, messageId });
    ctx.status = 202;
    ctx.body = { session_id: session.id, message_id: messageId };
  });

  router.delete('/sessions/:id', requireRole('SUPERADMIN', 'ADMIN'), async (ctx) => {
    const session = await findOr404(ChatSessionSchema, ctx.params.id, 'Session');
    await deleteSessions(deps, [session]);
    ctx.state.audit = { action: 'chat.session_delete', resource: 'chat_sessions', resourceId: session.id };
    ctx.status = 204;
  });

  router.post('/reset', requireRole('SUPERADMIN', 'ADMIN'), async (ctx) => {
    const body = z.strictObject({ lead_id: Uuid }).parse(ctx.request.body);
    const lead = await findOr404(CustomerSchema, body.lead_id, 'Lead');
    const sessions = await requestEm().find(ChatSessionSchema, { leadId: lead.id });
    const deleted = await deleteSessions(deps, sessions);
    ctx.state.audit = { action: 'chat.reset', resource: 'chat_sessions', resourceId: lead.id };
    ctx.body = { status: 'success', message: `All chat history for lead ${lead.id} deleted.`, deleted_count: deleted };
  });

  router.get('/:lead_id/messages', async (ctx) => {
    const q = MessagesQuerySchema.parse(ctx.query);
    const lead = await findOr404(CustomerSchema, ctx.params.lead_id, 'Lead');
    const where = { leadId: lead.id, ...(q.provider ? { channel: q.provider } : {}) };
    const [rows, total] = await requestEm().findAndCount(ChatMessageSchema, where, { orderBy: { id: 'asc' }, offset: q.skip, limit: q.limit });
    ctx.body = { lead_id: lead.id, provider: 'chat_messages', messages: rows.map(presentMessage), total, skip: q.skip, limit: q.limit };
  });

  return router;
}

async function openSession(ctx: ParameterizedContext): Promise<ChatSession> {
  const session = await findOr404(ChatSessionSchema, ctx.params.id, 'Session');
  if (session.status === 'resolved') throw new AppError(409, 'session_resolved', 'This session was resolved');
  return session;
}

/** Ends each session's workflow, then deletes its messages and the session. Returns messages deleted. */
export async function deleteSessions(deps: AppDeps, sessions: ChatSession[]): Promise<number> {
  let deleted = 0;
  for (const session of sessions) {
    await deps.temporal.client.workflow
      .getHandle(session.workflowId)
      .signal('endSession', { reason: 'deleted' })
      .catch(() => undefined);
    await requestEm().transactional(async (tx) => {
      deleted += await tx.nativeDelete(ChatMessageSchema, { sessionId: session.id });
      await tx.nativeDelete(ChatSessionSchema, { id: session.id });
    });
  }
  return deleted;
}

