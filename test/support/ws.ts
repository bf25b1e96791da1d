import WebSocket from 'ws';

export interface WsMessage {
  type: string;
  [key: string]: unknown;
}

/** A WebSocket test client that records every message and waits for the ones a test expects. */
export class WsRecorder {
  readonly messages: WsMessage[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as WsMessage);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async connect(url: string, headers?: Record<string, string>): Promise<WsRecorder> {
    const socket = new WebSocket(url, { headers });
    const recorder = new WsRecorder(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return recorder;
  }

  /** Resolves with the first recorded message matching `predicate`, or fails after `timeoutMs`. */
  async waitFor(predicate: (m: WsMessage) => boolean, timeoutMs = 30_000): Promise<WsMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching WebSocket message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  events(type?: string): Array<{ id: number; type: string; topic: string; payload: Record<string, unknown> }> {
    return this.messages
      .filter((m) => m.type === 'event')
      .map((m) => m.event as { id: number; type: string; topic: string; payload: Record<string, unknown> })
      .filter((e) => !type || e.type === type);
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  close(): void {
    this.socket.close();
  }
}

export const isEvent = (type: string) => (m: WsMessage) => m.type === 'event' && (m.event as { type: string }).type === type;
