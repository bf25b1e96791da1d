import type { RetrievedListing, RetrievedPassage } from '../contracts/retrieval';

/**
 * One interface for every language model the assistant can use: the Anthropic Messages API in
 * production and the offline provider in development, tests and benchmarks.
 */

export type Language = 'es' | 'en';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** Facts about the customer the assistant collects. Keys absent = not yet known. */
export interface CollectedInfo {
  name?: string;
  phone?: string;
  email?: string;
  location?: string;
  budget?: string;
  property_type?: string;
  size?: string;
  timeline?: string;
  /** Seed 003's flow (software projects). */
  project_type?: string;
  features?: string;
}

/** The facts each flow collects, in the order the assistant asks for them. */
export const FLOW_FACTS = {
  real_estate: ['name', 'phone', 'email', 'location', 'budget', 'property_type', 'size', 'timeline'],
  project: ['name', 'email', 'phone', 'project_type', 'features', 'budget', 'timeline'],
} as const satisfies Record<AssistantProfile['flow'], ReadonlyArray<keyof CollectedInfo>>;

export const CONVERSATION_STEPS = ['greeting', 'profiling', 'financial_qualification', 'scheduling', 'follow_up', 'handoff', 'requirement_gathering'] as const;
export type ConversationStep = (typeof CONVERSATION_STEPS)[number];

/** The tenant's assistant configuration (see src/tenants/defaults.ts). */
export interface AssistantProfile {
  assistantName: string;
  persona: string;
  tone: string;
  promptSections: Record<string, string>;
  /** Which facts to collect, in the order to ask for them. */
  flow: 'real_estate' | 'project';
}

export interface ReplyRequest {
  profile: AssistantProfile;
  /** Earlier turns, oldest first, without the current message. */
  history: ChatMessage[];
  message: string;
  passages: RetrievedPassage[];
  listings: RetrievedListing[];
  /** Everything known about the customer, including what this message added (extraction merged). */
  collected: CollectedInfo;
  step: ConversationStep;
  language: Language;
  /** The facts still missing, in asking order; the reply asks for the first one. */
  missing: Array<keyof CollectedInfo>;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export interface ReplyResult {
  text: string;
  usage: Usage;
  costUsd: number;
  provider: string;
  model: string;
}

export interface ExtractRequest {
  message: string;
  history: ChatMessage[];
  collected: CollectedInfo;
  flow: AssistantProfile['flow'];
}

export interface ExtractResult {
  /** Only the facts this message adds or corrects. */
  info: CollectedInfo;
  language: Language;
  /** The customer asked for a person. */
  wantsHuman: boolean;
  usage: Usage;
  costUsd: number;
}

export interface LlmProvider {
  readonly name: string;
  readonly model: string;
  extract(req: ExtractRequest, signal?: AbortSignal): Promise<ExtractResult>;
  /** Streams the reply: onToken gets each text delta in order, the result has the whole text. */
  reply(req: ReplyRequest, onToken?: (delta: string) => void | Promise<void>, signal?: AbortSignal): Promise<ReplyResult>;
}
