import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RetrievedListing, RetrievedPassage } from './retrieval';

/**
 * The chat session workflow's messages and shapes. State the reply depends on (collected facts,
 * the conversation step) lives in Postgres; the workflow orders the turns and owns the session's
 * lifecycle.
 */
export const CHAT_CHANNELS = ['webchat', 'whatsapp', 'telegram', 'api', 'voice'] as const;
export type ChatChannel = (typeof CHAT_CHANNELS)[number];

export const SESSION_STATUSES = ['active', 'handoff', 'resolved', 'closed'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export interface ChatSessionInput {
  tenantId: string;
  sessionId: string;
  leadId: string;
  channel: ChatChannel;
  /** A session with no message for this long is closed (a later message reopens it). */
  idleTimeoutMs: number;
  /** Turns per run before continuing as new, besides Temporal's own suggestion. */
  maxTurnsPerRun: number;
  /** A session handed to a person before this run started (while no run was open) stays theirs. */
  initialStatus?: 'handoff';
}

export interface ConversationState {
  current_step: string;
  collected_info: Record<string, string>;
}

export interface SendMessageInput {
  /** The client's id for this message: a retry with the same id returns the same reply. */
  messageId: string;
  text: string;
  channel?: ChatChannel;
}

export interface ChatReply {
  messageId: string;
  /** null while a person has the conversation (handoff): the message is stored for them. */
  reply: string | null;
  replyMessageId: number | null;
  leadId: string;
  leadScore: number;
  leadStatus: string;
  sessionStatus: SessionStatus;
  conversationState: ConversationState;
  sources: { passages: string[]; listings: string[] };
}

export interface AgentReplyInput {
  agentId: string;
  text: string;
  /** Idempotency for the stored message. */
  messageId: string;
}

/** What one turn's preparation hands to reply generation. */
export interface TurnContext {
  inboundId: number;
  history: Array<{ role: 'user' | 'assistant'; content: string }>;
  collected: Record<string, string>;
  step: string;
  language: 'es' | 'en';
  missing: string[];
  wantsHuman: boolean;
  passages: RetrievedPassage[];
  listings: RetrievedListing[];
  /** The session was handed to a person: no assistant reply. */
  humanHasIt: boolean;
}

export interface GeneratedReply {
  text: string;
  provider: string;
  model: string;
  usage: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
  costUsd: number;
  latencyMs: number;
}

export interface ChatSessionState {
  status: SessionStatus;
  turns: number;
  /** Replies to the most recent message ids, so a retried update is answered without a new turn. */
  recent: Array<[string, ChatReply]>;
}

export const sendMessageUpdate = defineUpdate<ChatReply, [SendMessageInput]>('sendMessage');
export const resolveSignal = defineSignal<[{ actorId: string | null }]>('resolve');
export const handoffSignal = defineSignal<[{ actorId: string | null; reason: string }]>('handoff');
export const agentReplySignal = defineSignal<[AgentReplyInput]>('agentReply');
export const releaseToBotSignal = defineSignal<[{ actorId: string | null }]>('releaseToBot');
export const endSessionSignal = defineSignal<[{ reason: 'deleted' }]>('endSession');
export const chatStateQuery = defineQuery<ChatSessionState>('chatState');

export const chatWorkflowId = (tenantId: string, sessionId: string) => `chat:${tenantId}:${sessionId}`;
/** NOTIFY channel for streamed reply tokens: ephemeral, unlike the stored events. */
export const TOKENS_CHANNEL = 'crm_tokens';
export const MESSAGE_MAX_CHARS = 4000;
