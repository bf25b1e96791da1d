import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { z } from 'zod';
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
  since: z.coerce.number().int().nonnegative().optional(),
});

/**
 * Decides, once per connection at the handshake, which topics it may follow. Throwing an error
 * with `status` 401 refuses the handshake.
 */
export type TopicAccess = (request: IncomingMessage) => Promise<(topic: string) => boolean>;

/** A client that cannot keep up is dropped rather than buffering without bound. */
const MAX_BUFFERED_BYTES = 1 << 20;
const HEARTBEAT_MS = 30_000;

interface Peer {
  socket: WebSocket;
  mayFollow: (topic: string) => boolean;
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
    readonly path = '/ws',
  ) {
    this.unsubscribe = events.subscribe((event) => this.dispatch(event));
    this.heartbeat = setInterval(() => this.sweep(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get connections(): number {
    return this.peers.size;
  }

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (url.pathname !== this.path) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const query = ConnectQuerySchema.safeParse(Object.fromEntries(url.searchParams));
      if (!query.success) {
        const message = query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
        return;
      }
      this.access(request).then(
        (mayFollow) => this.wss.handleUpgrade(request, socket, head, (ws) => void this.onConnection(ws, mayFollow, query.data.topics, query.data.since)),
        (err: { status?: number; message?: string }) => {
          const status = err.status === 401 ? '401 Unauthorized' : '500 Internal Server Error';
          if (err.status !== 401) this.logger.error({ err }, 'WebSocket access check failed');
          socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        },
      );
    });
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const peer of this.peers) peer.socket.close(1001, 'server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async onConnection(socket: WebSocket, mayFollow: (topic: string) => boolean, topics: string[], since?: number): Promise<void> {
    const peer: Peer = { socket, mayFollow, topics: new Set(), alive: true, held: null };
    this.peers.add(peer);
    socket.on('pong', () => (peer.alive = true));
    socket.on('close', () => this.drop(peer));
    socket.on('error', () => this.drop(peer));
    socket.on('message', (data, isBinary) => void this.onMessage(peer, isBinary ? null : data.toString()));
    if (topics.length) await this.subscribe(peer, topics, since);
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
      if (peer.mayFollow(topic)) allowed.push(topic);
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
      const history = await this.events.history(allowed, since);
      for (const event of history) this.send(peer, { type: 'event', event, replay: true });
      const replayed = new Set(history.map((e) => e.id));
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

  private sweep(): void {
    for (const peer of this.peers) {
      if (!peer.alive) {
        peer.socket.terminate();
        continue;
      }
      peer.alive = false;
      peer.socket.ping();
    }
  }
}
