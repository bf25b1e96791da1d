import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { ClientMessageId, MessageText, previewTurn, sendMessage, startMessage, turnStatus } from '../../chat/service';
import type { ChatReply } from '../../contracts/chat';
import type { RetrievedListing, RetrievedPassage } from '../../contracts/retrieval';
import { ChatSessionSchema } from '../../db/entities';
import { createEmbedder } from '../../embeddings';
import { NotFoundError } from '../../errors';
import type { AppDeps } from '../deps';
import { findOr404 } from '../lookup';
import { requestEm, requireRole, targetTenant } from '../middleware/identity';
import { numeric, Uuid } from '../schemas';
import { messageIdOf, presentReply, turnTarget } from './chat';

/** Seed 002 asks with `message` or `query`, and names the customer `lead_id` or `client_id`. */
const AssistSchema = z
  .strictObject({
    message: MessageText.optional(),
    query: MessageText.optional(),
    session_id: Uuid.nullable().optional(),
    lead_id: Uuid.nullable().optional(),
    client_id: Uuid.nullable().optional(),
    message_id: ClientMessageId.optional(),
  })
  .refine((b) => (b.message === undefined) !== (b.query === undefined), { message: 'give either message or query', path: ['message'] })
  .refine((b) => !(b.lead_id && b.client_id && b.lead_id !== b.client_id), { message: 'lead_id and client_id name different customers', path: ['client_id'] });
type AssistBody = z.infer<typeof AssistSchema>;

const PreviewSchema = z
  .strictObject({ message: MessageText.optional(), query: MessageText.optional(), session_id: Uuid.nullable().optional() })
  .refine((b) => (b.message === undefined) !== (b.query === undefined), { message: 'give either message or query', path: ['message'] });

/** At most this long a status request waits for the turn (`?wait=` seconds). */
const MAX_WAIT_S = 20;
const TaskQuerySchema = z.object({ wait: numeric(z.number().min(0).max(MAX_WAIT_S).default(0)) });

/**
 * A task id names the turn's update in Temporal: the session (tenant-checked on every read), the
 * run that accepted the message (a session may continue as new before it is read) and the
 * message id (the update id). Readable on purpose, so an operator finds the run in the UI.
 */
const taskIdOf = (sessionId: string, runId: string | undefined, messageId: string) => `${sessionId}.${runId ?? ''}.${messageId}`;

function parseTaskId(taskId: string): { sessionId: string; runId?: string; messageId: string } | null {
  const match = /^([^.]+)\.([^.]*)\.(.+)$/.exec(taskId);
  // A run id is a UUID or absent; Temporal refuses anything else as an invalid argument.
  if (!match || !Uuid.safeParse(match[1]).success || (match[2] && !z.guid().safeParse(match[2]).success) || !ClientMessageId.safeParse(match[3]).success) return null;
  return { sessionId: match[1]!, runId: match[2] || undefined, messageId: match[3]! };
}

const presentAssist = (reply: ChatReply, sessionId: string) => ({ ...presentReply(reply, sessionId), client_id: reply.leadId });

const presentPassage = (p: RetrievedPassage) => ({ id: p.id, source: p.source, source_id: p.sourceId, title: p.title, text: p.text, score: p.score });
const presentListing = (l: RetrievedListing) => ({
  id: l.id,
  title: l.title,
  address: l.address,
  city: l.city,
  property_type: l.propertyType,
  listing_type: l.listingType,
  price: l.price,
  monthly_rent: l.monthlyRent,
  size_sf: l.sizeSf,
  bedrooms: l.bedrooms,
  summary: l.summary,
  score: l.score,
});

/** The session and customer a request names (or new ones), in the caller's tenant. */
const assistTarget = (ctx: ParameterizedContext, body: AssistBody, messageId: string) => turnTarget(ctx, { provider: 'api', session_id: body.session_id, lead_id: body.lead_id ?? body.client_id }, { messageId });

/** Seed 002's AI assistance: a chat turn answered now, queued, or previewed without running. */
export function assistRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/ai/assist' });
  router.use(requireRole('SUPERADMIN', 'ADMIN', 'AGENT'));
  const embedder = createEmbedder(deps.config);

  router.post('/', async (ctx) => {
    const body = AssistSchema.parse(ctx.request.body);
    const messageId = messageIdOf(ctx, body.message_id);
    const target = await assistTarget(ctx, body, messageId);
    const reply = await sendMessage(deps, target, { messageId, text: (body.message ?? body.query)!, channel: 'api' });
    ctx.body = presentAssist(reply, target.session.id);
  });

  router.post('/task', async (ctx) => {
    const body = AssistSchema.parse(ctx.request.body);
    const messageId = messageIdOf(ctx, body.message_id);
    const target = await assistTarget(ctx, body, messageId);
    const update = await startMessage(deps, target, { messageId, text: (body.message ?? body.query)! });
    const taskId = taskIdOf(target.session.id, update.workflowRunId, messageId);
    ctx.state.audit = { action: 'ai.assist_task', resource: 'chat_sessions', resourceId: target.session.id };
    ctx.status = 202;
    ctx.set('Location', `/api/v1/ai/assist/task/${encodeURIComponent(taskId)}`);
    ctx.body = { task_id: taskId, status: 'queued', session_id: target.session.id, client_id: target.lead.id, message_id: messageId };
  });

  router.get('/task/:task_id', async (ctx) => {
    const q = TaskQuerySchema.parse(ctx.query);
    const ref = parseTaskId(ctx.params.task_id!);
    if (!ref) throw new NotFoundError('Task not found');
    const session = await findOr404(ChatSessionSchema, ref.sessionId, 'Task');
    const outcome = await turnStatus(deps, session, ref, q.wait * 1000);
    if (!outcome) throw new NotFoundError('Task not found');
    const taskId = ctx.params.task_id!;
    if (outcome.status === 'completed') ctx.body = { task_id: taskId, status: 'completed', result: presentAssist(outcome.reply, session.id) };
    else if (outcome.status === 'failed') ctx.body = { task_id: taskId, status: 'failed', error: { code: outcome.error.code, message: outcome.error.message } };
    else ctx.body = { task_id: taskId, status: 'running' };
  });

  router.post('/preview', async (ctx) => {
    const body = PreviewSchema.parse(ctx.request.body);
    const tenantId = targetTenant(ctx, z.object({ broker_id: Uuid.optional() }).parse(ctx.query).broker_id);
    const session = body.session_id ? await findOr404(ChatSessionSchema, body.session_id, 'Session') : null;
    if (session && session.tenantId !== tenantId) throw new NotFoundError('Session not found');
    const preview = await previewTurn({ es: deps.es, embedder, prefix: deps.config.ELASTICSEARCH_INDEX_PREFIX }, requestEm(), { tenantId, text: (body.message ?? body.query)!, session });
    ctx.body = {
      system_prompt: preview.systemPrompt,
      context: preview.context,
      messages: preview.messages,
      passages: preview.passages.map(presentPassage),
      listings: preview.listings.map(presentListing),
    };
  });

  return router;
}
