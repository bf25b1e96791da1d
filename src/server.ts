import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type AppDeps } from './http/app';
import { chatStreamTopics, topicAccess } from './ws/access';
import { WebSocketHub, type TopicAccess } from './ws/hub';

export interface RunningServer {
  server: http.Server;
  hub: WebSocketHub;
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the app and the WebSocket hub on one port; `close` stops accepting and ends both. Topic
 * access defaults to the identity-aware policy.
 */
export async function startServer(deps: AppDeps, options: { host: string; port: number; access?: TopicAccess; wsHeartbeatMs?: number }): Promise<RunningServer> {
  const app = createApp(deps);
  const server = http.createServer(app.callback());
  server.requestTimeout = 120_000;
  const hub = new WebSocketHub(deps.events, deps.logger, options.access ?? topicAccess(deps), { heartbeatMs: options.wsHeartbeatMs }, '/ws', chatStreamTopics(deps.orm));
  hub.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    hub,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    async close() {
      await hub.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    },
  };
}
