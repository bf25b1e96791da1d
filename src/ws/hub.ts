import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { z } from 'zod';
import { numeric } from '../http/schemas';
import { loggable } from '../http/middleware/errors';
import type { CrmEvent } from '../contracts/events';
import type { EventListener } from '../events/listener';
import type { Logger } from '../logger';

const TOPIC = z.string().regex(/^[\w:.-]{1,200}$/, 'invalid topic');
const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), topics: z.array(TOPIC).min(1).max(50) }),
  z.object({ type: z.literal('unsubscribe'), topics: z.array(TOPIC).min(1).max(50) }),
  z.object({ type: z.literal('ping') }),
]);
const ConnectQuerySchema = z.object({
  topics: z.string().optional().transform((v) => (v ? v.split(',').filter(Boolean) : [])).pipe(z.array(TOPIC).max(50)),
  since: numeric(z.number().int().nonnegative().optional()),
});

/** What a connection may do: decided at the handshake, re-checked while it stays open. */
export interface PeerAccess {
  mayFollow(topic: string): boolean;
  /** False once the credentials it connected with are revoked or expired. */
  stillValid?(): Promise<boolean>;
}

/** Decides a connection's access at the handshake; an error with `status` 401 refuses it. */
export type TopicAccess = (request: IncomingMessage) => Promise<PeerAccess>;

/** A client that cannot keep up is dropped rather than buffering without bound. */
const MAX_BUFFERED_BYTES = 1 << 20;
const HEARTBEAT_MS = 30_000;
const HISTORY_PAGE = 500;
/** Topics one connection may follow: each costs memory in the hub. */
const MAX_TOPICS_PER_PEER = 200;

interface Peer {
  socket: WebSocket;
  access: PeerAccess;
  topics: Set<string>;
  alive: boolean;
  /** Live events held back while a `since` replay is read, so order holds and nothing doubles. */
  held: CrmEvent[] | null;
}

/**
 * The `/ws` endpoint: clients follow topics and receive the events the listener delivers, after
 * an optional replay of stored events newer than `since`.
 */
export class WebSocketHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly byTopic = new Map<string, Set<Peer>>();
  private readonly peers = new Set<Peer>();
  private readonly unsubscribe: () => void;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly events: EventListener,
    private readonly logger: Logger,
    private readonly access: TopicAccess,
    options: { heartbeatMs?: number } = {},
    readonly path = '/ws',
    private readonly aliases?: (pathname: string) => Promise<string[] | null>,
  ) {
    this.unsubscribe = events.subscribe((event) => this.dispatch(event));
    this.heartbeat = setInterval(() => void this.sweep(), options.heartbeatMs ?? HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get connections(): number {
    return this.peers.size;
  }

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (url.pathname !== this.path) {
        void this.upgradeAlias(url, request, socket, head);
        return;
      }
      const query = ConnectQuerySchema.safeParse(Object.fromEntries(url.searchParams));
      if (!query.success) {
        const message = query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
        return;
      }
      this.access(request).then(
        (access) => this.wss.handleUpgrade(request, socket, head, (ws) => void this.onConnection(ws, access, query.data.topics, query.data.since)),
        (err: { status?: number; message?: string }) => {
          const status = err.status === 401 ? '401 Unauthorized' : '500 Internal Server Error';
          if (err.status !== 401) this.logger.error({ err: loggable(err) }, 'WebSocket access check failed');
          socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        },
      );
    });
  }

  /**
   * Paths that stand for fixed topics (seed 002's `/api/v1/chat/stream/{session_id}`): the
   * resolver names the topics, access is checked as for `/ws`.
   */
  private async upgradeAlias(url: URL, request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const topics = this.aliases ? await this.aliases(url.pathname).catch(() => null) : null;
    if (!topics) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.access(request).then(
      (access) => {
        if (!topics.every((t) => access.mayFollow(t))) {
          socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        this.wss.handleUpgrade(request, socket, head, (ws) => void this.onConnection(ws, access, topics));
      },
      () => socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'),
    );
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const peer of this.peers) peer.socket.close(1001, 'server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async onConnection(socket: WebSocket, access: PeerAccess, topics: string[], since?: number): Promise<void> {
    const peer: Peer = { socket, access, topics: new Set(), alive: true, held: null };
    this.peers.add(peer);
    socket.on('pong', () => (peer.alive = true));
    socket.on('close', () => this.drop(peer));
    socket.on('error', () => this.drop(peer));
    socket.on('message', (data, isBinary) => void this.onMessage(peer, isBinary ? null : data.toString()).catch((err) => this.failPeer(peer, err)));
    if (topics.length) await this.subscribe(peer, topics, since).catch((err) => this.failPeer(peer, err));
  }

  /** A replay that cannot be read (Postgres reconnecting, say) ends that connection, not the process. */
  private failPeer(peer: Peer, err: unknown): void {
    this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'WebSocket request failed');
    this.send(peer, { type: 'error', error: { code: 'replay_unavailable', message: 'Stored events cannot be read right now; reconnect with the same since' } });
    peer.socket.close(1011, 'replay unavailable');
  }

  private async onMessage(peer: Peer, text: string | null): Promise<void> {
    let parsed: z.infer<typeof ClientMessageSchema>;
    try {
      parsed = ClientMessageSchema.parse(JSON.parse(text ?? ''));
    } catch {
      this.send(peer, { type: 'error', error: { code: 'invalid_message', message: 'expected JSON: {"type":"subscribe"|"unsubscribe","topics":[…]} or {"type":"ping"}' } });
      return;
    }
    if (parsed.type === 'ping') return this.send(peer, { type: 'pong' });
    if (parsed.type === 'subscribe') return this.subscribe(peer, parsed.topics);
    for (const topic of parsed.topics) this.removeTopic(peer, topic);
    this.send(peer, { type: 'unsubscribed', topics: parsed.topics });
  }

  private async subscribe(peer: Peer, topics: string[], since?: number): Promise<void> {
    const allowed: string[] = [];
    for (const topic of topics) {
      if (peer.topics.size + allowed.length >= MAX_TOPICS_PER_PEER) {
        this.send(peer, { type: 'error', error: { code: 'too_many_topics', message: `at most ${MAX_TOPICS_PER_PEER} topics per connection` } });
        break;
      }
      if (peer.access.mayFollow(topic)) allowed.push(topic);
      else this.send(peer, { type: 'error', error: { code: 'forbidden', message: `not allowed to follow ${topic}` } });
    }
    const replay = since !== undefined && allowed.length > 0;
    // Register before reading history so nothing committed meanwhile is missed; hold it until after.
    if (replay) peer.held = [];
    for (const topic of allowed) {
      peer.topics.add(topic);
      let set = this.byTopic.get(topic);
      if (!set) this.byTopic.set(topic, (set = new Set()));
      set.add(peer);
    }
    this.send(peer, { type: 'subscribed', topics: allowed });
    if (!replay) return;
    try {
      const replayed = new Set<number>();
      for (let after = since; ; ) {
        const page = await this.events.history(allowed, after, HISTORY_PAGE);
        for (const event of page) {
          replayed.add(event.id);
          this.send(peer, { type: 'event', event, replay: true });
        }
        if (page.length < HISTORY_PAGE) break;
        after = page[page.length - 1]!.id;
      }
      for (const event of peer.held ?? []) if (!replayed.has(event.id)) this.send(peer, { type: 'event', event });
    } finally {
      peer.held = null;
    }
  }

  private dispatch(event: CrmEvent): void {
    const peers = this.byTopic.get(event.topic);
    if (!peers) return;
    const frame = JSON.stringify({ type: 'event', event });
    for (const peer of peers) {
      if (peer.held) peer.held.push(event);
      else this.sendRaw(peer, frame);
    }
  }

  private send(peer: Peer, message: unknown): void {
    this.sendRaw(peer, JSON.stringify(message));
  }

  private sendRaw(peer: Peer, frame: string): void {
    if (peer.socket.readyState !== WebSocket.OPEN) return;
    if (peer.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.logger.warn('dropping a WebSocket client that does not keep up');
      peer.socket.terminate();
      return;
    }
    peer.socket.send(frame);
  }

  private removeTopic(peer: Peer, topic: string): void {
    peer.topics.delete(topic);
    const set = this.byTopic.get(topic);
    set?.delete(peer);
    if (set?.size === 0) this.byTopic.delete(topic);
  }

  private drop(peer: Peer): void {
    if (!this.peers.delete(peer)) return;
    for (const topic of peer.topics) this.removeTopic(peer, topic);
  }

  /** Drops dead connections and those whose credentials were revoked or expired since. */
  private async sweep(): Promise<void> {
    for (const peer of this.peers) {
      if (!peer.alive) {
        peer.socket.terminate();
        continue;
      }
      peer.alive = false;
      peer.socket.ping();
    }
    await Promise.all(
      [...this.peers].map(async (peer) => {
        if (!peer.access.stillValid || (await peer.access.stillValid().catch(() => false))) return;
        this.send(peer, { type: 'error', error: { code: 'unauthorized', message: 'Credentials revoked or expired' } });
        peer.socket.close(4401, 'credentials revoked or expired');
      }),
    );
  }
}
