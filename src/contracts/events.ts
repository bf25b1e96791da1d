/** Postgres NOTIFY channel that carries every published event. */
export const EVENTS_CHANNEL = 'crm_events';

/** Topics a WebSocket client can subscribe to. */
export const topics = {
  system: 'system',
  tenant: (tenantId: string) => `tenant:${tenantId}`,
  session: (sessionId: string) => `session:${sessionId}`,
  /** A chat session's live events; under its tenant so access follows the tenant's. */
  chatSession: (tenantId: string, sessionId: string) => `tenant:${tenantId}:session:${sessionId}`,
  probe: (probeId: string) => `probe:${probeId}`,
} as const;

export interface PublishEventInput {
  topic: string;
  type: string;
  tenantId?: string | null;
  payload: Record<string, unknown>;
  /** Publishing twice with the same key stores and delivers the event once. */
  idempotencyKey?: string;
}

export interface CrmEvent {
  id: number;
  topic: string;
  type: string;
  tenantId: string | null;
  payload: Record<string, unknown>;
  createdAt: string;
}
