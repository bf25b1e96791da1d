/**
 * Live-event latency: a raw NOTIFY→LISTEN round trip on the same Postgres, against the product's
 * path (store + NOTIFY → EventListener) and the full path to a WebSocket client.
 */
import { Client as PgClient } from 'pg';
import WebSocket from 'ws';
import pino from 'pino';
import { AuthService } from '../src/auth/service';
import { publishEvent } from '../src/events/bus';
import { EventListener } from '../src/events/listener';
import { createSearchClient } from '../src/search/client';
import { startServer } from '../src/server';
import { createTemporal } from '../src/temporal/client';
import { summarize, type BenchResult } from './lib';
import { benchEnvironment } from './setup';

const N = Number(process.env.BENCH_EVENTS_N ?? 1000);
const WARMUP = 100;

async function measure(n: number, once: (i: number) => Promise<void>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await once(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await once(i);
    samples.push(performance.now() - t0);
  }
  return samples;
}

/** Resolves the promise registered for a key when `deliver(key)` is called. */
function rendezvous() {
  const waiting = new Map<string, () => void>();
  return {
    wait: (key: string) => new Promise<void>((resolve) => waiting.set(key, resolve)),
    deliver: (key: string) => {
      waiting.get(key)?.();
      waiting.delete(key);
    },
  };
}

export default async function run(): Promise<BenchResult> {
  const { config, orm } = await benchEnvironment();
  const logger = pino({ level: 'warn' });

  // 1. raw NOTIFY → LISTEN
  const listenClient = new PgClient({ connectionString: config.DATABASE_URL });
  const notifyClient = new PgClient({ connectionString: config.DATABASE_URL });
  await Promise.all([listenClient.connect(), notifyClient.connect()]);
  await listenClient.query('listen bench_raw');
  const raw = rendezvous();
  listenClient.on('notification', (n) => raw.deliver(n.payload ?? ''));
  const rawSamples = await measure(N, async (i) => {
    const got = raw.wait(String(i));
    await notifyClient.query('select pg_notify($1, $2)', ['bench_raw', String(i)]);
    await got;
  });

  // 2. publishEvent (insert + NOTIFY) → EventListener
  const events = new EventListener(config.DATABASE_URL, logger);
  await events.start();
  const bus = rendezvous();
  events.subscribe((e) => bus.deliver(String(e.payload.i)));
  const topic = `bench:${Date.now()}`;
  const busSamples = await measure(N, async (i) => {
    const got = bus.wait(String(i));
    await publishEvent(orm.em.fork(), { topic, type: 'bench', payload: { i } });
    await got;
  });

  // 3. the same, through the API's WebSocket hub to a client
  const es = createSearchClient(config);
  const temporal = createTemporal(config);
  const server = await startServer({ config, logger, orm, es, temporal, events, auth: new AuthService(config) }, { host: '127.0.0.1', port: 0, access: async () => ({ mayFollow: () => true }) });
  const wsTopic = `${topic}:ws`;
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws?topics=${wsTopic}`);
  const ws = rendezvous();
  await new Promise<void>((resolve) => socket.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { type: string; event?: { payload: { i: number } } };
    if (msg.type === 'subscribed') resolve();
    if (msg.event) ws.deliver(String(msg.event.payload.i));
  }));
  const wsSamples = await measure(N, async (i) => {
    const got = ws.wait(String(i));
    await publishEvent(orm.em.fork(), { topic: wsTopic, type: 'bench', payload: { i } });
    await got;
  });

  socket.close();
  await server.close();
  await events.stop();
  await temporal.connection.close();
  await es.close();
  await Promise.all([listenClient.end(), notifyClient.end()]);
  await orm.close(true);

  const rows = [summarize('raw NOTIFY→LISTEN', rawSamples), summarize('publishEvent→listener', busSamples), summarize('publishEvent→WebSocket', wsSamples)];
  const p50 = (r: Record<string, string | number>) => Number(r.p50_ms);
  return {
    name: 'events',
    description: `sequential event round trips, n=${N} each after ${WARMUP} warm-up`,
    rows,
    figures: {
      listener_vs_raw_p50_ratio: Number((p50(rows[1]!) / p50(rows[0]!)).toFixed(2)),
      websocket_vs_raw_p50_ratio: Number((p50(rows[2]!) / p50(rows[0]!)).toFixed(2)),
    },
  };
}
