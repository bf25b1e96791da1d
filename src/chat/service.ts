import { randomUUID } from 'node:crypto';
import { isGrpcServiceError, WithStartWorkflowOperation, WorkflowIdConflictPolicy, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, WorkflowExecutionAlreadyStartedError, type WorkflowUpdateHandle } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import sanitizeHtml from 'sanitize-html';
import { v5 as uuidv5 } from 'uuid';
import { z } from 'zod';
import { agentReplySignal, chatWorkflowId, MESSAGE_MAX_CHARS, sendMessageUpdate, type AgentReplyInput, type ChatChannel, type ChatReply, type ChatSessionInput } from '../contracts/chat';
import type { RetrievedListing, RetrievedPassage } from '../contracts/retrieval';
import { ChatMessageSchema, ChatSessionSchema, CustomerSchema, TenantConfigSchema, type ChatSession, type Customer } from '../db/entities';
import { AppError, NotFoundError, ServiceUnavailableError } from '../errors';
import type { AppDeps } from '../http/deps';
import { tenantEm } from '../db/orm';
import { recordLeadChange, rescoreLead } from '../leads/service';
import { buildDynamicContext, buildStableSystemPrompt, toApiMessages } from '../llm/prompt';
import { detectLanguage } from '../llm/rules';
import { CONVERSATION_STEPS, FLOW_FACTS, type ChatMessage as LlmMessage, type CollectedInfo, type ReplyRequest } from '../llm/types';
import { retrieve, type SearchDeps } from '../search/retrieve';
import { assistantProfile } from './profile';
import { applySessionStatus, storeAgentReply } from './store';


/**
 * Message text as stored: tags and their script/style contents removed, entities decoded to the
 * characters they stand for, so what is kept is the plain text a customer typed. Clients still
 * escape it when rendering, as with any user text.
 */
export function sanitizeMessage(raw: string): string {
  const text = sanitizeHtml(raw, { allowedTags: [], allowedAttributes: {}, disallowedTagsMode: 'discard', nonTextTags: ['script', 'style', 'textarea', 'noscript', 'iframe', 'title'] });
  return text.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").trim();
}

/** Something a reader can see: not only spaces, zero-width and other format characters. */
const VISIBLE = /[^\s\p{Z}\p{Cf}]/u;

/** The message field of every chat endpoint: seed 001's limit, and never empty once cleaned. */
export const MessageText = z
  .string()
  .max(MESSAGE_MAX_CHARS, `at most ${MESSAGE_MAX_CHARS} characters`)
  .transform(sanitizeMessage)
  .refine((t) => VISIBLE.test(t), 'must not be empty');

export const ClientMessageId = z.string().trim().min(1).max(200).regex(/^[\w.:@-]+$/, 'letters, digits and . _ : @ - only');

/** A client's own name for a session (seeds 000 and 003 choose theirs), kept as its externalId. */
export const ClientSessionId = z.string().trim().min(1).max(200).regex(/^[\w.:@+-]+$/, 'letters, digits and . _ : @ + - only');

/**
 * A session by the name a client knows it by: the client's own `session_id` (externalId), else
 * this API's id, which is what such clients are shown for sessions they did not name.
 */
export async function findSessionByClientId(em: EntityManager, tenantId: string, clientId: string): Promise<ChatSession | null> {
  const named = await em.findOne(ChatSessionSchema, { tenantId, externalId: clientId });
  if (named || !z.uuid().safeParse(clientId).success) return named;
  return em.findOne(ChatSessionSchema, { tenantId, id: clientId });
}

export interface TurnTarget {
  session: ChatSession;
  lead: Customer;
}

/** Names the session a first message creates, so a retry of that message finds it again. */
const SESSION_FROM_MESSAGE = '8c1f3b52-6f0e-4d37-9a51-3d2b7e0c9f14';

type TurnTargetInput = {
  tenantId: string;
  messageId?: string;
  leadId?: string;
  sessionId?: string;
  externalSessionId?: string;
  channel: ChatChannel;
  flow?: 'real_estate' | 'project';
  customer?: { name?: string; email?: string; preferences?: Record<string, unknown> };
};

/**
 * The session and lead a message belongs to: given ids must exist in the tenant (else 404);
 * omitted ones are created, as seed 001's chat does for an unknown customer. A session created
 * for a message takes an id derived from the message id, so when the first attempt created it
 * but did not get its reply back, the retry continues that session rather than opening another.
 */
export async function resolveTurnTarget(em: EntityManager, input: TurnTargetInput): Promise<TurnTarget & { createdLead: boolean; createdSession: boolean }> {
  try {
    return await resolveOnce(em, input);
  } catch (err) {
    // Two first messages at once (a double submit, a new customer on two tabs) create the same
    // session or customer: the one that lost the race finds what the other committed.
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
    em.clear();
    return resolveOnce(em, input);
  }
}

async function resolveOnce(em: EntityManager, input: TurnTargetInput): Promise<TurnTarget & { createdLead: boolean; createdSession: boolean }> {
  const { tenantId } = input;
  // A session the client names is found again by that name; only an unnamed one needs the
  // derived id (which includes the lead, so one key reused for two leads opens two sessions).
  const derivedSessionId = input.messageId && !input.externalSessionId ? uuidv5(`${tenantId}:${input.leadId ?? ''}:${input.messageId}`, SESSION_FROM_MESSAGE) : null;
  let session: ChatSession | null = null;
  if (input.sessionId) {
    session = await em.findOne(ChatSessionSchema, { tenantId, id: input.sessionId });
    if (!session) throw new NotFoundError('Session not found');
  } else if (input.externalSessionId) {
    session = await em.findOne(ChatSessionSchema, { tenantId, externalId: input.externalSessionId });
  } else if (derivedSessionId) {
    session = await em.findOne(ChatSessionSchema, { tenantId, id: derivedSessionId });
  }
  let lead: Customer | null = null;
  let createdLead = false;
  const leadId = input.leadId ?? session?.leadId;
  const email = input.customer?.email?.toLowerCase() ?? null;
  if (leadId) {
    lead = await em.findOne(CustomerSchema, { tenantId, id: leadId });
    if (!lead) throw new NotFoundError('Lead not found');
    if (session && session.leadId !== lead.id) throw new AppError(409, 'conflict', 'The session belongs to another lead');
  } else {
    // A returning customer is known by email, or by the user id a client gave it (seed 000);
    // looked up before anything is created, as a created entity would be flushed by the query
    // that looks for its twin.
    const userId = input.customer?.preferences?.user_id;
    lead = email ? await em.findOne(CustomerSchema, { tenantId, email }) : null;
    if (!lead && typeof userId === 'string') lead = await em.findOne(CustomerSchema, { tenantId, preferences: { user_id: userId } });
    if (!lead) {
      lead = em.create(CustomerSchema, { id: randomUUID(), tenantId, tags: [], preferences: { ...input.customer?.preferences }, source: input.channel === 'webchat' ? 'chat' : input.channel, name: input.customer?.name ?? null, email });
      createdLead = true;
    }
  }
  let createdSession = false;
  if (!session) {
    const id = derivedSessionId ?? randomUUID();
    session = em.create(ChatSessionSchema, {
      id,
      tenantId: input.tenantId,
      leadId: lead.id,
      externalId: input.externalSessionId ?? null,
      channel: input.channel,
      flow: input.flow ?? 'real_estate',
      workflowId: chatWorkflowId(input.tenantId, id),
      conversationState: { current_step: 'greeting', collected_info: {} },
    });
    createdSession = true;
  }
  await em.transactional(async (tx) => {
    tx.persist(lead!);
    tx.persist(session!);
    if (createdLead) {
      await tx.flush();
      await rescoreLead(tx, lead!);
      await recordLeadChange(tx, lead!, { type: 'created', description: 'Lead created by a chat conversation', event: 'lead.created', data: { session_id: session!.id } });
    }
  });
  return { session, lead, createdLead, createdSession };
}

const workflowInput = (deps: AppDeps, target: TurnTarget): ChatSessionInput => ({
  tenantId: target.session.tenantId,
  sessionId: target.session.id,
  leadId: target.lead.id,
  channel: target.session.channel,
  idleTimeoutMs: deps.config.CHAT_IDLE_TIMEOUT_MS,
  maxTurnsPerRun: deps.config.CHAT_MAX_TURNS_PER_RUN,
  ...(target.session.status === 'handoff' ? { initialStatus: 'handoff' as const } : {}),
});

function startOperation(deps: AppDeps, target: TurnTarget) {
  return new WithStartWorkflowOperation('chatSession', {
    workflowId: target.session.workflowId,
    taskQueue: deps.temporal.taskQueue,
    args: [workflowInput(deps, target)],
    // A running session takes the message; a closed (idle) one starts a new run with its history.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    searchAttributes: { CrmTenantId: [target.session.tenantId], CrmSessionId: [target.session.id], CrmLeadId: [target.lead.id], CrmChannel: [target.session.channel] },
  });
}

/** Refuses messages to a session that is over, before anything is stored. */
export function assertOpen(session: ChatSession): void {
  if (session.status === 'resolved') throw new AppError(409, 'session_resolved', 'This session was resolved; send the message without session_id to start a new one');
}

/**
 * One customer message through the session's workflow (started if needed), answered with the
 * reply. The same client message id always returns the same reply and stores nothing twice.
 */
export async function sendMessage(deps: AppDeps, target: TurnTarget, msg: { messageId: string; text: string; channel?: ChatChannel }): Promise<ChatReply> {
  assertOpen(target.session);
  return withReopen(deps, target, () => deps.temporal.client.workflow.executeUpdateWithStart(sendMessageUpdate, { args: [msg], startWorkflowOperation: startOperation(deps, target) }));
}

/** Starts a turn without waiting for the reply: seed 002's queued assistance. */
export async function startMessage(deps: AppDeps, target: TurnTarget, msg: { messageId: string; text: string }): Promise<WorkflowUpdateHandle<ChatReply>> {
  assertOpen(target.session);
  return withReopen(deps, target, () =>
    deps.temporal.client.workflow.startUpdateWithStart(sendMessageUpdate, { args: [msg], updateId: msg.messageId, waitForStage: 'ACCEPTED', startWorkflowOperation: startOperation(deps, target) }),
  );
}

/** How long a message waits for an idle session's run to finish closing before it reopens it. */
const CLOSING_WAIT_MS = 10_000;

/**
 * Sends a message, reopening the session when it reached a run that was closing for idleness
 * (the run refuses it; a new run takes it once the old one is done). A session resolved or
 * deleted meanwhile answers as such.
 */
async function withReopen<T>(deps: AppDeps, target: TurnTarget, send: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (attempt >= 2 || !isSessionClosed(err)) throw mapTurnError(err);
      const current = async () => {
        const row = await tenantEm(deps.orm, target.session.tenantId).findOne(ChatSessionSchema, { id: target.session.id });
        if (!row) throw new NotFoundError('Session not found');
        if (row.status === 'resolved') throw mapTurnError(err);
        return row;
      };
      await current();
      const handle = deps.temporal.client.workflow.getHandle(target.session.workflowId);
      await deps.temporal.client.withDeadline(Date.now() + CLOSING_WAIT_MS, () => handle.result()).catch(() => undefined);
      target.session.status = (await current()).status;
    }
  }
}

function isSessionClosed(err: unknown): boolean {
  let cause: unknown = err;
  while (cause && typeof cause === 'object') {
    if (cause instanceof ApplicationFailure && cause.type === 'session_closed') return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/** Workflow failures as HTTP: a closed session is the client's to fix, the rest is ours. */
export function mapTurnError(err: unknown): Error {
  if (err instanceof AppError) return err;
  let cause: unknown = err;
  while (cause && !(cause instanceof ApplicationFailure) && typeof cause === 'object' && 'cause' in cause) cause = (cause as { cause?: unknown }).cause;
  if (cause instanceof ApplicationFailure) {
    // Deleted while the message was on its way.
    if (cause.type === 'session_not_found') return new NotFoundError('Session not found');
    if (cause.type === 'session_closed') return new AppError(409, 'session_resolved', 'This session is closed; send the message without session_id to start a new one');
    if (cause.type?.startsWith('llm_')) return new AppError(502, 'llm_error', `The language model refused the request: ${cause.message}`);
  }
  if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowExecutionAlreadyStartedError) {
    return new AppError(409, 'conflict', 'The session could not take the message; try again');
  }
  return new ServiceUnavailableError('The assistant is unavailable right now; retry with the same message id');
}

/**
 * Resolves, hands off or releases a session by signalling its workflow; when no workflow runs
 * for it (never started, or closed while idle) the session record is the whole state, and the
 * change is written there, so the next message's run starts from it.
 */
export async function signalSession(deps: AppDeps, session: ChatSession, signal: 'resolve' | 'handoff' | 'releaseToBot', args: { actorId: string; reason?: string }): Promise<void> {
  const status = signal === 'resolve' ? 'resolved' : signal === 'handoff' ? 'handoff' : 'active';
  try {
    await deps.temporal.client.workflow.getHandle(session.workflowId).signal(signal, args);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw mapTurnError(err);
    await applySessionStatus(tenantEm(deps.orm, session.tenantId), { tenantId: session.tenantId, sessionId: session.id, status, actorId: args.actorId, reason: args.reason, idempotencyKey: `chat-status:${session.id}:${randomUUID()}` });
    return;
  }
  // The run applies the change between turns; answering once it shows means what the caller does
  // next (an agent's reply after a handoff, a message after a release) meets the new status.
  await waitStatus(deps, session, status);
}

/** An agent's reply: through the session's workflow when one runs, else stored directly. */
export async function sendAgentReply(deps: AppDeps, session: ChatSession, reply: AgentReplyInput): Promise<void> {
  try {
    await deps.temporal.client.workflow.getHandle(session.workflowId).signal(agentReplySignal, reply);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw mapTurnError(err);
    await storeAgentReply(tenantEm(deps.orm, session.tenantId), session, reply);
  }
}

/** Waits up to 5 s for the session record to show `status` (a turn in flight holds a change back until it ends). */
async function waitStatus(deps: AppDeps, session: ChatSession, status: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const row = await deps.orm.em.fork().findOne(ChatSessionSchema, { id: session.id }, { filters: { tenant: { tenantId: session.tenantId } } });
    if (row?.status === status) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export type TurnStatus = { status: 'running' } | { status: 'completed'; reply: ChatReply } | { status: 'failed'; error: AppError };

/** gRPC's NOT_FOUND: the run does not know the update. */
const GRPC_NOT_FOUND = 5;

/**
 * Where a turn started with `startMessage` stands, waiting up to `waitMs` for it to finish. The
 * run id pins the run that accepted it, so a session that has since continued as new or closed
 * still answers. null: that run never had the message.
 */
export async function turnStatus(deps: AppDeps, session: ChatSession, turn: { runId?: string; messageId: string }, waitMs: number): Promise<TurnStatus | null> {
  const { client } = deps.temporal;
  const update = client.workflow.getHandle(session.workflowId).getUpdateHandle<ChatReply>(turn.messageId, { workflowRunId: turn.runId });
  try {
    // Asking for the accepted stage answers at once, with the outcome when there is one; waiting
    // on the result alone could not tell a slow answer from a running turn.
    const polled = await client.workflowService.pollWorkflowExecutionUpdate({
      namespace: client.options.namespace,
      updateRef: { workflowExecution: { workflowId: session.workflowId, runId: turn.runId }, updateId: turn.messageId },
      waitPolicy: { lifecycleStage: temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED },
    });
    if (!polled.outcome && waitMs <= 0) return { status: 'running' };
    const reply = polled.outcome ? await update.result() : await client.withDeadline(Date.now() + waitMs, () => update.result());
    return { status: 'completed', reply };
  } catch (err) {
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return { status: 'running' };
    if (err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND)) return null;
    if (err instanceof WorkflowUpdateFailedError) return { status: 'failed', error: mapTurnError(err) as AppError };
    throw mapTurnError(err);
  }
}

/** What a turn reads (activities/chat.ts): the last twelve exchanges and four of each source. */
const PREVIEW_HISTORY = 24;
const PREVIEW_SOURCES = 4;

export interface TurnPreview {
  systemPrompt: string;
  context: string;
  messages: LlmMessage[];
  passages: RetrievedPassage[];
  listings: RetrievedListing[];
}

/**
 * The prompt a turn would send the model for this text, built from the tenant's configuration,
 * the session's known facts and history and a live retrieval, storing nothing and starting no
 * workflow. Facts the message itself adds are not extracted (that takes a model call), so the
 * step and missing facts are those before it.
 */
export async function previewTurn(search: SearchDeps, em: EntityManager, input: { tenantId: string; text: string; session: ChatSession | null }): Promise<TurnPreview> {
  const { session } = input;
  const flow = session?.flow === 'project' ? 'project' : 'real_estate';
  const [config, earlier, retrieved] = await Promise.all([
    em.findOne(TenantConfigSchema, { tenantId: input.tenantId }),
    session ? em.find(ChatMessageSchema, { sessionId: session.id }, { orderBy: { id: 'desc' }, limit: PREVIEW_HISTORY }) : Promise.resolve([]),
    retrieve(search, { tenantId: input.tenantId, query: input.text, k: PREVIEW_SOURCES }),
  ]);
  const history = earlier.reverse().map((m): LlmMessage => ({ role: m.direction === 'in' ? 'user' : 'assistant', content: m.content }));
  const collected: CollectedInfo = { ...session?.conversationState.collected_info };
  const stored = session?.conversationState.current_step;
  const request: ReplyRequest = {
    profile: assistantProfile(config, flow),
    history,
    message: input.text,
    passages: retrieved.passages,
    listings: retrieved.listings,
    collected,
    step: CONVERSATION_STEPS.find((s) => s === stored) ?? 'greeting',
    language: detectLanguage(input.text, history),
    missing: FLOW_FACTS[flow].filter((f) => !collected[f]),
  };
  return {
    systemPrompt: buildStableSystemPrompt(request.profile),
    context: buildDynamicContext(request),
    messages: toApiMessages(history, input.text),
    passages: retrieved.passages,
    listings: retrieved.listings,
  };
}
