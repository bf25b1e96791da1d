import Router from '@koa/router';
import type { Middleware, ParameterizedContext } from 'koa';
import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { ClientMessageId, ClientSessionId, findSessionByClientId, MessageText, sendMessage, signalSession } from '../../chat/service';
import type { SessionStatus } from '../../contracts/chat';
import { ChatMessageSchema, ChatSessionSchema, CustomerSchema, type ChatMessage, type ChatSession, type Customer } from '../../db/entities';
import { AppError, NotFoundError } from '../../errors';
import { normalizeEmail } from '../../leads/service';
import type { AppDeps } from '../deps';
import type { ErrorFormat } from '../middleware/errors';
import { principalOf, requestEm, requireRole, targetTenant } from '../middleware/identity';
import { Uuid } from '../schemas';
import { deleteSessions, messageIdOf, turnTarget } from './chat';
import { updateClient } from './clients';
import { reindex, runUpload, uploadBody } from './documents';
import { createLead, deleteLead, visibility } from './leads';

/** Seed 000's errors: `error` is the message; the code and details ride beside it. */
export const seed000Errors: ErrorFormat = {
  matches: (path) => /^\/(?:chat|users|reset|upload_docs|admin\/sync-vector-db)\/?$|^\/crm(?:\/|$)/.test(path),
  render: (e, meta) => ({
    status: e.status,
    body: { status: 'error', error: e.message, code: e.code, ...(e.details === undefined ? {} : { details: e.details }), processing_time: meta.seconds, request_id: meta.requestId },
  }),
};

/** Seed 000 answers every success with the seconds it took. */
const processingTime: Middleware = async (ctx, next) => {
  const started = performance.now();
  await next();
  const body: unknown = ctx.body;
  if (body && typeof body === 'object' && !Array.isArray(body) && !('processing_time' in body)) {
    ctx.body = { ...body, processing_time: Math.round(performance.now() - started) / 1000 };
  }
};

/** Seed 000's user ids are the client's: an email, or any other name it picked. */
const UserId = z.string().trim().min(1).max(320).regex(/^[\w.:@+-]+$/, 'letters, digits and . _ : @ + - only');
const isEmail = (value: string) => z.email().safeParse(value).success;
const Role = z.string().trim().min(1).max(50);

const ChatBodySchema = z.strictObject({
  message: MessageText,
  user_id: UserId.nullable().optional(),
  session_id: ClientSessionId.nullable().optional(),
  message_id: ClientMessageId.optional(),
});
const UserCreateSchema = z
  .strictObject({ user_id: UserId.optional(), name: z.string().trim().min(1).max(200).optional(), email: z.email().max(320).optional(), role: Role.optional() })
  .refine((b) => b.user_id || b.email, { message: 'user_id or email is required', path: ['user_id'] });
const UserUpdateSchema = z
  .strictObject({ name: z.string().trim().min(1).max(200).optional(), email: z.email().max(320).optional(), role: Role.optional() })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to update', path: ['name'] });
const ResetSchema = z.strictObject({ user_id: UserId.optional() });
const BrokerQuery = z.object({ broker_id: Uuid.optional() });

/** The tenant a seed 000 request acts in: the caller's, or for a SUPERADMIN `?broker_id=`. */
const tenantOf = (ctx: ParameterizedContext) => targetTenant(ctx, BrokerQuery.parse(ctx.query).broker_id);

/** The user id seed 000 knows a customer by: the one it was created with, else its email, else ours. */
const userIdOf = (c: Customer): string => (typeof c.preferences.user_id === 'string' ? c.preferences.user_id : (c.email ?? c.id));

/**
 * A customer by seed 000's user id: the one whose `preferences.user_id` it is; failing that, an
 * email finds the customer with that email (one who came in through another channel) and a UUID
 * finds the customer with that id (one seed 000 was shown our id for).
 */
async function findUser(tenantId: string, userId: string, where: FilterQuery<Customer> = {}): Promise<Customer | null> {
  const em = requestEm();
  const scope = { ...(where as object), tenantId };
  const named = await em.findOne(CustomerSchema, { ...scope, preferences: { user_id: userId } });
  if (named) return named;
  if (isEmail(userId)) {
    const byEmail = await em.findOne(CustomerSchema, { ...scope, email: normalizeEmail(userId) });
    if (byEmail) return byEmail;
  }
  return Uuid.safeParse(userId).success ? em.findOne(CustomerSchema, { ...scope, id: userId }) : null;
}

async function userOr404(ctx: ParameterizedContext, tenantId: string, userId: string): Promise<Customer> {
  const parsed = UserId.safeParse(userId);
  const user = parsed.success ? await findUser(tenantId, parsed.data, visibility(ctx)) : null;
  if (!user) throw new NotFoundError('User not found');
  return user;
}

const presentUser = (c: Customer) => ({ user_id: userIdOf(c), name: c.name, email: c.email, role: typeof c.preferences.role === 'string' ? c.preferences.role : 'user' });

/** Seed 000's session statuses: "Inquiring" while the conversation goes on. */
const STATUS_LABELS: Record<SessionStatus, string> = { active: 'Inquiring', handoff: 'Handed off', resolved: 'Resolved', closed: 'Closed' };

/** A session's messages as seed 000's pairs: each customer message with the reply to it; a person's replies stand alone. */
function conversationsOf(messages: ChatMessage[]) {
  const replies = new Map(messages.filter((m) => m.senderType === 'assistant' && m.replyToId !== null).map((m) => [m.replyToId, m]));
  return messages
    .filter((m) => m.direction === 'in' || m.senderType === 'agent')
    .map((m) =>
      m.direction === 'in'
        ? { chat_id: String(m.id), timestamp: m.createdAt, message: m.content, response: replies.get(m.id)?.content ?? null }
        : { chat_id: String(m.id), timestamp: m.createdAt, message: null, response: m.content },
    );
}

/** Seed 000's paths: chat, users, conversations, reset, documents and the vector index. */
export function seed000Routes(deps: AppDeps): Router {
  // Per route, not router.use: this router has no prefix, and nested routers share one stack.
  const router = new Router();
  const staff = [processingTime, requireRole('SUPERADMIN', 'ADMIN', 'AGENT')];
  const admins = [processingTime, requireRole('SUPERADMIN', 'ADMIN')];

  router.post('/chat', ...staff, async (ctx) => {
    const body = ChatBodySchema.parse(ctx.request.body);
    const messageId = messageIdOf(ctx, body.message_id);
    const tenantId = tenantOf(ctx);
    const session = body.session_id ? await findSessionByClientId(requestEm(), tenantId, body.session_id) : null;
    const user = body.user_id ? await findUser(tenantId, body.user_id) : null;
    if (session && body.user_id && user?.id !== session.leadId) throw new AppError(409, 'conflict', 'The session belongs to another user');
    // A user id seen for the first time becomes a customer that keeps it; an email one is also its email.
    const customer = body.user_id && !user ? { email: isEmail(body.user_id) ? body.user_id : undefined, preferences: { user_id: body.user_id } } : undefined;
    const target = await turnTarget(ctx, { provider: 'webchat', session_id: session?.id, lead_id: user?.id }, session ? { messageId } : { messageId, externalSessionId: body.session_id ?? undefined, customer });
    const reply = await sendMessage(deps, target, { messageId, text: body.message, channel: 'webchat' });
    ctx.body = { status: 'success', response: reply.reply, session_id: target.session.externalId ?? target.session.id, user_id: userIdOf(target.lead) };
  });

  router.post('/users', ...staff, async (ctx) => {
    const body = UserCreateSchema.parse(ctx.request.body);
    const userId = body.user_id ?? body.email!;
    if (await findUser(tenantOf(ctx), userId)) throw new AppError(409, 'conflict', `User ${userId} already exists`);
    const email = body.email ?? (isEmail(userId) ? userId : undefined);
    const user = await createLead(deps, ctx, { name: body.name, email }, { preferences: { user_id: userId, role: body.role ?? 'user' } });
    ctx.state.audit = { action: 'users.create', resource: 'customers', resourceId: user.id };
    ctx.status = 201;
    ctx.body = { status: 'success', message: 'User inserted', user_id: userId };
  });

  router.get('/crm/get_user/:user_id', ...staff, async (ctx) => {
    const user = await userOr404(ctx, tenantOf(ctx), ctx.params.user_id!);
    ctx.body = { status: 'success', user: presentUser(user) };
  });

  router.put('/crm/update_user/:user_id', ...staff, async (ctx) => {
    const body = UserUpdateSchema.parse(ctx.request.body);
    const user = await userOr404(ctx, tenantOf(ctx), ctx.params.user_id!);
    // The user id is pinned, so a changed email does not change the id seed 000 knows the user by.
    await updateClient(deps, ctx, user, { name: body.name, email: body.email, preferences: { user_id: userIdOf(user), ...(body.role ? { role: body.role } : {}) } });
    ctx.state.audit = { action: 'users.update', resource: 'customers', resourceId: user.id };
    ctx.body = { status: 'success', message: 'User updated' };
  });

  router.delete('/crm/delete_user/:user_id', ...staff, async (ctx) => {
    const user = await userOr404(ctx, tenantOf(ctx), ctx.params.user_id!);
    ctx.state.audit = { action: 'users.delete', resource: 'customers', resourceId: user.id };
    await deleteLead(deps, ctx, user);
    ctx.body = { status: 'success', message: 'User deleted' };
  });

  router.get('/crm/conversations/:user_id', ...staff, async (ctx) => {
    const user = await userOr404(ctx, tenantOf(ctx), ctx.params.user_id!);
    const em = requestEm();
    const [sessions, messages] = await Promise.all([
      em.find(ChatSessionSchema, { tenantId: user.tenantId, leadId: user.id }, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: 500 }),
      em.find(ChatMessageSchema, { tenantId: user.tenantId, leadId: user.id }, { orderBy: { id: 'asc' }, limit: 10_000 }),
    ]);
    const userId = userIdOf(user);
    ctx.body = {
      status: 'success',
      user_id: userId,
      total_sessions: sessions.length,
      sessions: sessions.map((s: ChatSession) => ({
        session_id: s.externalId ?? s.id,
        user_id: userId,
        status: STATUS_LABELS[s.status as SessionStatus],
        conversations: conversationsOf(messages.filter((m) => m.sessionId === s.id)),
      })),
    };
  });

  router.post('/reset', ...admins, async (ctx) => {
    const body = ResetSchema.parse(ctx.request.body ?? {});
    const tenantId = tenantOf(ctx);
    const user = body.user_id ? await userOr404(ctx, tenantId, body.user_id) : null;
    const sessions = await requestEm().find(ChatSessionSchema, { tenantId, ...(user ? { leadId: user.id } : {}) });
    const deleted = await deleteSessions(deps, sessions);
    ctx.state.audit = { action: 'chat.reset', resource: 'chat_sessions', resourceId: user?.id, tenantId };
    ctx.body = { status: 'success', message: user ? `All chat history for user ${body.user_id} deleted.` : 'All chat history deleted.', deleted_count: deleted };
  });

  router.post('/crm/resolve_session/:session_id', ...staff, async (ctx) => {
    const name = ClientSessionId.safeParse(ctx.params.session_id);
    const session = name.success ? await findSessionByClientId(requestEm(), tenantOf(ctx), name.data) : null;
    if (!session) throw new NotFoundError('Session not found');
    await signalSession(deps, session, 'resolve', { actorId: principalOf(ctx).id });
    ctx.state.audit = { action: 'chat.resolve', resource: 'chat_sessions', resourceId: session.id };
    ctx.body = { status: 'success', message: `Session ${session.externalId ?? session.id} marked as Resolved.` };
  });

  router.post('/upload_docs', ...staff, uploadBody(deps), async (ctx) => {
    const report = await runUpload(deps, ctx);
    ctx.state.audit = { action: 'documents.upload', resource: 'documents' };
    if (report.files.every((f) => f.status === 'rejected')) {
      throw new AppError(422, 'no_valid_files', 'No file could be accepted; see each file’s errors', { processed_files: report.files });
    }
    ctx.status = report.allDone ? 200 : 202;
    ctx.body = {
      status: 'success',
      message: report.allDone ? 'Documents processed successfully' : 'Documents accepted for processing',
      processed_files: report.files,
      total_processing_time: report.totalSeconds,
      vector_db_updated: report.files.some((f) => f.status === 'completed'),
      processing_time: report.totalSeconds,
    };
  });

  router.post('/admin/sync-vector-db', ...admins, async (ctx) => {
    const started = performance.now();
    await reindex(deps, ctx, true);
    const body = ctx.body as { status: string };
    ctx.body = {
      ...body,
      status: 'success',
      message: body.status === 'completed' ? 'Vector database sync completed successfully' : 'Vector database sync started',
      processing_time: Math.round(performance.now() - started) / 1000,
    };
  });

  return router;
}
