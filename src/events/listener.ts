import { EventEmitter } from 'node:events';
import { Client, type Notification } from 'pg';
import { TOKENS_CHANNEL } from '../contracts/chat';
import { EVENTS_CHANNEL, type CrmEvent } from '../contracts/events';
import type { Logger } from '../logger';

type EventRow = { id: string; topic: string; type: string; tenant_id: string | null; payload: Record<string, unknown>; created_at: Date };

const toEvent = (row: EventRow): CrmEvent => ({
  id: Number(row.id),
  topic: row.topic,
  type: row.type,
  tenantId: row.tenant_id,
  payload: row.payload,
  createdAt: new Date(row.created_at).toISOString(),
});

const SELECT = 'select id, topic, type, tenant_id, payload, created_at from events';

/** One page of a catch-up read; callers page on with the last id. */
const HISTORY_LIMIT = 500;
/** How far back, in ids, a reconnect looks for events committed while it was away. */
const CATCH_UP_WINDOW = 1000;
/** Ids remembered to drop duplicates between notifications and catch-up reads. */
const SEEN_CAPACITY = 20_000;

/** A piece of a streamed reply: `offset` counts characters already sent by the same attempt. */
export interface TokenChunk {
  attempt: number;
  offset: number;
  text: string;
}

/**
 * One LISTEN connection per API process. Delivers events in commit order (NOTIFY's order, not id
 * order: ids are taken before commit). After a lost connection it reconnects and replays recent
 * rows it has not delivered, so subscribers see no gaps and no duplicates.
 */
export class EventListener {
  private client: Client | null = null;
  private readonly emitter = new EventEmitter();
  private readonly seen = new Set<number>();
  private readonly seenOrder: number[] = [];
  private maxId = 0;
  private everConnected = false;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {
    this.emitter.setMaxListeners(0);
  }

  get connected(): boolean {
    return this.client !== null;
  }

  /** The server process behind the LISTEN connection (pg_stat_activity.pid), for diagnostics. */
  get backendPid(): number | null {
    return (this.client as (Client & { processID?: number }) | null)?.processID ?? null;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await this.chain.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }

  /** Calls `handler` for every event from now on; returns the unsubscribe function. */
  subscribe(handler: (event: CrmEvent) => void): () => void {
    this.emitter.on('event', handler);
    return () => this.emitter.off('event', handler);
  }

  /** Streamed reply text for one turn (`<session>:<message id>`), as the activity produces it. */
  subscribeTokens(key: string, handler: (chunk: TokenChunk) => void): () => void {
    const name = `tokens:${key}`;
    this.emitter.on(name, handler);
    return () => this.emitter.off(name, handler);
  }

  private onToken(payload: string | undefined): void {
    if (!payload) return;
    try {
      const chunk = JSON.parse(payload) as { k: string; a: number; o: number; t: string };
      this.emitter.emit(`tokens:${chunk.k}`, { attempt: chunk.a, offset: chunk.o, text: chunk.t } satisfies TokenChunk);
    } catch {
      this.logger.warn('ignoring a malformed token notification');
    }
  }

  /** Stored events on the given topics after `sinceId`, oldest first: a reconnecting client's catch-up. */
  async history(topics: string[], sinceId: number, limit = HISTORY_LIMIT): Promise<CrmEvent[]> {
    const client = this.client;
    if (!client) throw new Error('event listener is not connected');
    const res = await client.query<EventRow>(`${SELECT} where id > $1 and topic = any($2) order by id limit $3`, [sinceId, topics, limit]);
    return res.rows.map(toEvent);
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5000, keepAlive: true });
    client.on('error', (err) => this.onLost(client, err));
    client.on('end', () => this.onLost(client, new Error('connection ended')));
    await client.connect();
    await client.query(`listen ${EVENTS_CHANNEL}`);
    await client.query(`listen ${TOKENS_CHANNEL}`);
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    client.on('notification', (n) => {
      // Streamed tokens are not stored and need no ordering against events: hand them straight on.
      if (n.channel === TOKENS_CHANNEL) this.onToken(n.payload);
      else this.enqueue(() => this.onNotification(client, n));
    });
    this.client = client;
    if (this.everConnected) this.enqueue(() => this.catchUp(client));
    this.everConnected = true;
    this.logger.debug({ channel: EVENTS_CHANNEL }, 'listening for events');
  }

  private onLost(client: Client, err: Error): void {
    if (this.client !== client) return;
    this.client = null;
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    this.logger.warn({ err: err.message }, 'event listener lost its connection; reconnecting');
    this.scheduleReconnect(500);
  }

  private scheduleReconnect(delayMs: number): void {
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch((err: Error) => {
        this.logger.warn({ err: err.message }, 'event listener reconnect failed');
        if (!this.stopped) this.scheduleReconnect(Math.min(delayMs * 2, 10_000));
      });
    }, delayMs);
  }

  /** Serialises deliveries so a row read for an oversized event keeps its place in the order. */
  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch((err: Error) => this.logger.error({ err: err.message }, 'event delivery failed'));
  }

  private async onNotification(client: Client, n: Notification): Promise<void> {
    if (n.channel !== EVENTS_CHANNEL || !n.payload) return;
    const body = JSON.parse(n.payload) as Partial<CrmEvent> & { id: number };
    if (body.topic !== undefined) {
      this.deliver({ ...(body as CrmEvent), createdAt: new Date(body.createdAt!).toISOString() });
      return;
    }
    const res = await client.query<EventRow>(`${SELECT} where id = $1`, [body.id]);
    if (res.rows[0]) this.deliver(toEvent(res.rows[0]));
  }

  private async catchUp(client: Client): Promise<void> {
    const res = await client.query<EventRow>(`${SELECT} where id > $1 order by id`, [Math.max(0, this.maxId - CATCH_UP_WINDOW)]);
    for (const row of res.rows) this.deliver(toEvent(row));
  }

  private deliver(event: CrmEvent): void {
    if (this.seen.has(event.id)) return;
    this.seen.add(event.id);
    this.seenOrder.push(event.id);
    if (this.seenOrder.length > SEEN_CAPACITY) this.seen.delete(this.seenOrder.shift()!);
    this.maxId = Math.max(this.maxId, event.id);
    this.emitter.emit('event', event);
  }
}
