import { ApplicationFailure, Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { topics } from '../src/contracts/events';
import type { ChatChannel, ChatReply, ConversationState, GeneratedReply, SessionStatus, TurnContext } from '../src/contracts/chat';
import { TOKENS_CHANNEL } from '../src/contracts/chat';
import { ChatMessageSchema, ChatSessionSchema, CustomerSchema, TenantConfigSchema, type ChatSession, type Customer } from '../src/db/entities';
import { tenantEm } from '../src/db/orm';
import type { Config } from '../src/config';
import { assistantProfile } from '../src/chat/profile';
import { publishEvent } from '../src/events/bus';
import { applySessionStatus, storeAgentReply, storeMessageOnce } from '../src/chat/store';
import { recordLeadChange, rescoreLead, normalizePhone, normalizeEmail } from '../src/leads/service';
import { notifyLeadWorkflow } from '../src/leads/workflow';
import { FLOW_FACTS, LlmError, type CollectedInfo, type LlmProvider } from '../src/llm';
import type { Logger } from '../src/logger';
import type { RetrievalResult, RetrieveInput } from '../src/contracts/retrieval';
import type { TemporalDeps } from '../src/temporal/client';

export interface ChatDeps {
  orm: MikroORM;
  config: Config;
  llm: LlmProvider;
  retrieve: (input: RetrieveInput) => Promise<RetrievalResult>;
  temporal?: TemporalDeps;
  logger: Logger;
}

interface TurnBase {
  tenantId: string;
  sessionId: string;
  leadId: string;
  messageId: string;
  channel: ChatChannel;
}

/** Earlier turns given to the model. */
const HISTORY_TURNS = 12;
/** Streamed text is sent in small bursts rather than one NOTIFY per token. */
const TOKEN_FLUSH_MS = 25;
/** Well inside generateReply's heartbeat timeout; the SDK batches heartbeats anyway. */
const HEARTBEAT_MS = 2_000;

/** Customer fields a fact fills, when the customer states it. */
type Flow = 'real_estate' | 'project';

const LEAD_FIELDS: Partial<Record<keyof CollectedInfo, string>> = {
  name: 'name',
  phone: 'phone',
  email: 'email',
  location: 'location',
  budget: 'budget',
  property_type: 'propertyType',
  timeline: 'timeline',
  project_type: 'projectType',
  features: 'requirementsSummary',
};

/** The conversation step the facts known so far put the session in. */
export function nextStep(flow: 'real_estate' | 'project', collected: CollectedInfo, previous: string, handoff: boolean, firstTurn: boolean): string {
  if (handoff) return 'handoff';
  const missing = FLOW_FACTS[flow].filter((f) => !collected[f]);
  if (firstTurn && Object.keys(collected).length === 0) return 'greeting';
  if (flow === 'project') return missing.length > 0 ? 'requirement_gathering' : previous === 'scheduling' || previous === 'follow_up' ? 'follow_up' : 'scheduling';
  if (missing.some((f) => f !== 'budget' && f !== 'timeline')) return 'profiling';
  if (missing.includes('budget')) return 'financial_qualification';
  if (missing.length > 0) return 'scheduling';
  return previous === 'scheduling' || previous === 'follow_up' ? 'follow_up' : 'scheduling';
}

/** The chat turn's side effects: each is idempotent on the client's message id. */
export function createChatActivities(deps: ChatDeps) {
  const scoped = (tenantId: string) => tenantEm(deps.orm, tenantId);
  const loadSession = async (em: EntityManager, sessionId: string): Promise<ChatSession> => {
    const session = await em.findOne(ChatSessionSchema, { id: sessionId });
    if (!session) throw ApplicationFailure.nonRetryable(`session ${sessionId} does not exist`, 'session_not_found');
    return session;
  };
  const asLlmFailure = (err: unknown): never => {
    if (err instanceof LlmError && !err.retryable) throw ApplicationFailure.nonRetryable(err.message, `llm_${err.code}`);
    throw err;
  };

  return {
    /**
     * Stores the customer's message, then gathers what the reply needs: earlier turns, facts the
     * message adds (merged into the lead), retrieved passages and listings, the next step.
     */
    async beginTurn(input: TurnBase & { text: string; humanHasIt: boolean }): Promise<TurnContext> {
      const em = scoped(input.tenantId);
      const session = await loadSession(em, input.sessionId);
      // A run started for a session resolved a moment ago (the API checked before the resolve
      // landed) must not take the message.
      if (session.status === 'resolved') throw ApplicationFailure.nonRetryable('This session is closed; start a new one', 'session_closed');
      const inboundId = await storeMessageOnce(em, { ...input, direction: 'in', senderType: 'customer', actorId: null });
      await publishEvent(em, {
        topic: topics.chatSession(input.tenantId, input.sessionId),
        tenantId: input.tenantId,
        type: 'chat.message',
        payload: { session_id: input.sessionId, lead_id: input.leadId, message_id: inboundId, direction: 'in', sender_type: 'customer', content: input.text },
        idempotencyKey: `chat-in:${input.sessionId}:${input.messageId}`,
      });
      const earlier = await em.find(ChatMessageSchema, { sessionId: input.sessionId, id: { $lt: inboundId } }, { orderBy: { id: 'desc' }, limit: HISTORY_TURNS * 2 });
      const history = earlier.reverse().map((m) => ({ role: m.direction === 'in' ? ('user' as const) : ('assistant' as const), content: m.content }));
      const collectedBefore = session.conversationState.collected_info as CollectedInfo;

      if (input.humanHasIt) {
        await publishEvent(em, { topic: topics.tenant(input.tenantId), tenantId: input.tenantId, type: 'chat.handoff_message', payload: { session_id: input.sessionId, lead_id: input.leadId, message_id: inboundId, content: input.text }, idempotencyKey: `chat-handoff-msg:${input.sessionId}:${input.messageId}` });
        return { inboundId, history, collected: { ...session.conversationState.collected_info }, step: 'handoff', language: 'es', missing: [], wantsHuman: false, passages: [], listings: [], humanHasIt: true };
      }
      await publishEvent(em, { topic: topics.chatSession(input.tenantId, input.sessionId), tenantId: input.tenantId, type: 'chat.typing', payload: { session_id: input.sessionId, typing: true }, idempotencyKey: `chat-typing:${input.sessionId}:${input.messageId}` });

      const [extracted, retrieved] = await Promise.all([
        deps.llm.extract({ message: input.text, history, collected: collectedBefore, flow: session.flow as Flow }).catch(asLlmFailure),
        deps.retrieve({ tenantId: input.tenantId, query: input.text, k: 4 }),
      ]);
      const collected: CollectedInfo = { ...collectedBefore };
      for (const [k, v] of Object.entries(extracted.info) as Array<[keyof CollectedInfo, string | undefined]>) if (v) collected[k] = v;
      const wantsHuman = extracted.wantsHuman;
      const step = nextStep(session.flow as Flow, collected, session.conversationState.current_step, wantsHuman, history.length === 0);
      const missing = FLOW_FACTS[session.flow as Flow].filter((f) => !collected[f]);
      return {
        inboundId,
        history,
        collected: collected as Record<string, string>,
        step,
        language: extracted.language,
        missing,
        wantsHuman,
        passages: retrieved.passages,
        listings: retrieved.listings,
        humanHasIt: false,
      };
    },

    /**
     * Calls the model with the tenant's persona and the turn's context, streaming text through
     * Postgres NOTIFY to whichever API process holds the client's connection.
     */
    async generateReply(input: TurnBase & { text: string; context: TurnContext }): Promise<GeneratedReply> {
      const em = scoped(input.tenantId);
      const config = await em.findOne(TenantConfigSchema, { tenantId: input.tenantId });
      const session = await loadSession(em, input.sessionId);
      // A message retried after its run ended (idle close, continue-as-new) or after its reply
      // left the run's recent replies is answered with the stored reply, not a second model call.
      const stored = await em.findOne(ChatMessageSchema, { sessionId: input.sessionId, clientMessageId: input.messageId, direction: 'out', senderType: 'assistant' });
      if (stored) {
        const usage = { inputTokens: stored.inputTokens, outputTokens: stored.outputTokens, cacheReadTokens: stored.cacheReadTokens, cacheWriteTokens: stored.cacheWriteTokens };
        return { text: stored.content, provider: stored.provider ?? 'unknown', model: stored.model ?? 'unknown', usage, costUsd: stored.costUsd, latencyMs: stored.latencyMs ?? 0 };
      }
      const activity = Context.current();
      const { attempt } = activity.info;
      const key = `${input.sessionId}:${input.messageId}`;
      let pending = '';
      let offset = 0;
      // The first text goes out at once; later text in bursts.
      let lastFlush = 0;
      const flush = async () => {
        if (!pending) return;
        const text = pending;
        pending = '';
        await em.execute(`select pg_notify(?, ?)`, [TOKENS_CHANNEL, JSON.stringify({ k: key, a: attempt, o: offset, t: text })]);
        offset += text.length;
        lastFlush = Date.now();
      };
      const started = Date.now();
      // Liveness on a timer rather than per token: a model may think for a while before its first
      // token, and that must not look like a dead worker. A hung call is LLM_TIMEOUT_MS's to end.
      activity.heartbeat();
      const beat = setInterval(() => activity.heartbeat(), HEARTBEAT_MS);
      const result = await deps.llm
        .reply(
          {
            profile: assistantProfile(config, session.flow as Flow),
            history: input.context.history,
            message: input.text,
            passages: input.context.passages,
            listings: input.context.listings,
            collected: input.context.collected as CollectedInfo,
            step: input.context.step as never,
            language: input.context.language,
            missing: input.context.missing as Array<keyof CollectedInfo>,
          },
          async (delta) => {
            pending += delta;
            if (Date.now() - lastFlush >= TOKEN_FLUSH_MS) await flush();
          },
          activity.cancellationSignal,
        )
        .catch(asLlmFailure)
        .finally(() => clearInterval(beat));
      await flush();
      return { text: result.text, provider: result.provider, model: result.model, usage: result.usage, costUsd: result.costUsd, latencyMs: Date.now() - started };
    },

    /**
     * Stores the reply once, saves the conversation state, fills the lead's fields from the
     * collected facts and rescores it, then tells live listeners.
     */
    async completeTurn(input: TurnBase & { context: TurnContext; generated: GeneratedReply | null; sessionStatus: SessionStatus }): Promise<ChatReply> {
      const em = scoped(input.tenantId);
      const { context, generated } = input;
      const state: ConversationState = { current_step: context.step, collected_info: context.collected };
      const sources = { passages: context.passages.map((p) => p.id), listings: context.listings.map((l) => l.id) };
      const outcome = await em.transactional(async (tx) => {
        const session = await loadSession(tx, input.sessionId);
        const lead = await tx.findOne(CustomerSchema, { id: input.leadId });
        if (!lead) throw ApplicationFailure.nonRetryable(`lead ${input.leadId} does not exist`, 'lead_not_found');
        let replyId: number | null = null;
        if (generated) {
          const rows = await tx.execute<Array<{ id: string; inserted: boolean }>>(
            `insert into chat_messages (tenant_id, session_id, lead_id, direction, sender_type, content, client_message_id, reply_to_id, channel, sources, provider, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, latency_ms, created_at)
             values (?, ?, ?, 'out', 'assistant', ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, now())
             on conflict (session_id, client_message_id, direction) do update set content = chat_messages.content
             returning id, (xmax = 0) as inserted`,
            [
              input.tenantId, input.sessionId, input.leadId, generated.text, input.messageId, context.inboundId, input.channel, JSON.stringify(sources),
              generated.provider, generated.model, generated.usage.inputTokens, generated.usage.outputTokens, generated.usage.cacheReadTokens,
              generated.usage.cacheWriteTokens, generated.costUsd, generated.latencyMs,
            ],
          );
          replyId = Number(rows[0]!.id);
        }
        const firstTime = await tx.execute<Array<{ n: number }>>(`select count(*)::int as n from lead_activities where customer_id = ? and data->>'message_id' = ?`, [lead.id, `${input.sessionId}:${input.messageId}`]);
        if (firstTime[0]!.n === 0) {
          session.conversationState = state;
          // A message to an idle-closed session reopened it.
          if (session.status === 'closed') session.status = 'active';
          session.messageCount += generated ? 2 : 1;
          session.lastMessageAt = new Date();
          if (input.sessionStatus === 'handoff' && session.status === 'active') {
            session.status = 'handoff';
            session.handoffReason = 'customer asked for a person';
          }
          const changed = await fillLead(tx, lead, context.collected as CollectedInfo, deps.config.DEFAULT_PHONE_REGION);
          await recordLeadChange(tx, lead, {
            type: 'chat_message',
            description: changed.length ? `Chat message; learned ${changed.join(', ')}` : 'Chat message',
            data: { message_id: `${input.sessionId}:${input.messageId}`, session_id: input.sessionId, learned: changed },
            event: 'lead.updated',
          });
          await rescoreLead(tx, lead);
        }
        await tx.flush();
        return { lead, replyId, session };
      });
      const reply: ChatReply = {
        messageId: input.messageId,
        reply: generated?.text ?? null,
        replyMessageId: outcome.replyId,
        leadId: input.leadId,
        leadScore: Number(outcome.lead.leadScore),
        leadStatus: outcome.lead.status,
        sessionStatus: outcome.session.status,
        conversationState: state,
        sources,
      };
      if (generated) {
        await publishEvent(em, {
          topic: topics.chatSession(input.tenantId, input.sessionId),
          tenantId: input.tenantId,
          type: 'chat.message',
          payload: { session_id: input.sessionId, lead_id: input.leadId, message_id: outcome.replyId, direction: 'out', sender_type: 'assistant', content: generated.text, sources },
          idempotencyKey: `chat-out:${input.sessionId}:${input.messageId}`,
        });
      }
      await publishEvent(em, {
        topic: topics.chatSession(input.tenantId, input.sessionId),
        tenantId: input.tenantId,
        type: 'chat.state',
        payload: { session_id: input.sessionId, lead_id: input.leadId, status: outcome.session.status, conversation_state: state, lead_score: reply.leadScore, lead_status: reply.leadStatus, typing: false },
        idempotencyKey: `chat-state:${input.sessionId}:${input.messageId}`,
      });
      if (deps.temporal) await notifyLeadWorkflow({ temporal: deps.temporal, config: deps.config, logger: deps.logger }, input.tenantId, input.leadId, { kind: 'message' });
      return reply;
    },

    /** A person's reply in a handed-off session: stored once and sent to the session's listeners. */
    async recordAgentReply(input: { tenantId: string; sessionId: string; leadId: string; agentId: string; text: string; messageId: string }): Promise<number> {
      const em = scoped(input.tenantId);
      const session = await loadSession(em, input.sessionId);
      return storeAgentReply(em, session, input);
    },

    /** Records a lifecycle change (handoff, release, resolve, idle close) and announces it. */
    async setSessionStatus(input: { tenantId: string; sessionId: string; status: SessionStatus; actorId: string | null; reason?: string }): Promise<void> {
      const { workflowExecution: run, activityId } = Context.current().info;
      await applySessionStatus(scoped(input.tenantId), { ...input, idempotencyKey: `${run?.workflowId}:${run?.runId}:${activityId}` });
    },
  };
}

/** The declared length of a customer column, when it has one. */
function columnLength(em: EntityManager, field: string): number | undefined {
  const props = em.getMetadata().get(CustomerSchema.meta.className).properties as Record<string, { length?: number } | undefined>;
  return props[field]?.length;
}

/** Copies collected facts to the lead's own fields; returns the fields that changed. */
async function fillLead(em: EntityManager, lead: Customer, collected: CollectedInfo, region: string): Promise<string[]> {
  const changed: string[] = [];
  for (const [fact, field] of Object.entries(LEAD_FIELDS) as Array<[keyof CollectedInfo, string]>) {
    let value: string | undefined = collected[fact];
    if (!value) continue;
    if (fact === 'phone') value = normalizePhone(value, region) ?? undefined;
    if (fact === 'email' && value) value = normalizeEmail(value);
    if (!value || (lead as Record<string, unknown>)[field] === value) continue;
    // A phone or email another customer of the tenant already has stays in the conversation only.
    if ((fact === 'phone' || fact === 'email') && (await em.count(CustomerSchema, { [field]: value, id: { $ne: lead.id } }))) continue;
    // A model may describe a fact at length; the column keeps what fits.
    (lead as Record<string, unknown>)[field] = value.slice(0, columnLength(em, field) ?? 4000);
    changed.push(fact);
  }
  return changed;
}
