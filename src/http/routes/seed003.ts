import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { ClientMessageId, ClientSessionId, findSessionByClientId, MessageText, sendMessage } from '../../chat/service';
import { ChatMessageSchema, type ChatMessage, type ChatSession } from '../../db/entities';
import { NotFoundError } from '../../errors';
import type { AppDeps } from '../deps';
import type { ErrorFormat } from '../middleware/errors';
import { requestEm, requireRole, targetTenant } from '../middleware/identity';
import { Uuid } from '../schemas';
import { deleteSessions, messageIdOf, turnTarget } from './chat';

/** Seed 003's errors: `{error: {code, message, details}}`, and 400 for a request it cannot take. */
export const seed003Errors: ErrorFormat = {
  matches: (path) => /^\/api\/(?:v1\/)?chat\/?$|^\/api\/sessions(?:\/|$)/.test(path),
  render: (e, meta) => ({
    status: e.status === 422 ? 400 : e.status,
    body: { error: { code: e.code, message: e.message, details: Array.isArray(e.details) ? { issues: e.details } : (e.details ?? {}) }, request_id: meta.requestId },
  }),
};

const ChatBodySchema = z.strictObject({
  message: MessageText,
  session_id: ClientSessionId,
  user_info: z
    .strictObject({ name: z.string().trim().min(1).max(200).nullable().optional(), email: z.email().max(320).nullable().optional() })
    .nullable()
    .optional(),
  message_id: ClientMessageId.optional(),
});

const ROLES = { customer: 'user', assistant: 'assistant', agent: 'agent', system: 'system' } as const;

const tenantOf = (ctx: ParameterizedContext) => targetTenant(ctx, z.object({ broker_id: Uuid.optional() }).parse(ctx.query).broker_id);

async function sessionOr404(ctx: ParameterizedContext): Promise<ChatSession> {
  const name = ClientSessionId.safeParse(ctx.params.session_id);
  const session = name.success ? await findSessionByClientId(requestEm(), tenantOf(ctx), name.data) : null;
  if (!session) throw new NotFoundError('Session not found');
  return session;
}

const presentHistory = (m: ChatMessage) => ({ role: ROLES[m.senderType as keyof typeof ROLES], content: m.content, timestamp: m.createdAt });

/** Seed 003's chat and sessions: the software-project flow, sessions named by the client. */
export function seed003Routes(deps: AppDeps): Router {
  // Per route, not router.use: this router has no prefix, and nested routers share one stack.
  const router = new Router();
  const staff = requireRole('SUPERADMIN', 'ADMIN', 'AGENT');

  const chat = async (ctx: ParameterizedContext) => {
    const body = ChatBodySchema.parse(ctx.request.body);
    const messageId = messageIdOf(ctx, body.message_id);
    const session = await findSessionByClientId(requestEm(), tenantOf(ctx), body.session_id);
    const customer = { name: body.user_info?.name ?? undefined, email: body.user_info?.email ?? undefined };
    const target = await turnTarget(ctx, { provider: 'webchat', session_id: session?.id }, session ? { messageId } : { messageId, externalSessionId: body.session_id, flow: 'project', customer });
    const reply = await sendMessage(deps, target, { messageId, text: body.message, channel: 'webchat' });
    ctx.body = { response: reply.reply, session_id: target.session.externalId ?? target.session.id, conversation_state: reply.conversationState };
  };
  router.post('/api/chat', staff, chat);
  router.post('/api/v1/chat', staff, chat);

  router.get('/api/sessions/:session_id', staff, async (ctx) => {
    const session = await sessionOr404(ctx);
    const messages = await requestEm().find(ChatMessageSchema, { sessionId: session.id }, { orderBy: { id: 'asc' }, limit: 1000 });
    ctx.body = {
      session_id: session.externalId ?? session.id,
      created_at: session.createdAt,
      last_active: session.lastMessageAt ?? session.createdAt,
      conversation_history: messages.map(presentHistory),
      collected_info: session.conversationState.collected_info,
    };
  });

  router.delete('/api/sessions/:session_id', requireRole('SUPERADMIN', 'ADMIN'), async (ctx) => {
    const session = await sessionOr404(ctx);
    await deleteSessions(deps, [session]);
    ctx.state.audit = { action: 'chat.session_delete', resource: 'chat_sessions', resourceId: session.id };
    ctx.body = { status: 'success', message: 'Session deleted successfully' };
  });

  return router;
}
