/**
 * Sign-in and authenticated-request throughput through the real API on the bench database, with
 * autocannon as the load generator in a second process; and the cost of the password hash at a
 * few Argon2id settings, to show why the chosen one.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { hash } from '@node-rs/argon2';
import pino from 'pino';
import { AuthService } from '../src/auth/service';
import { loadConfig } from '../src/config';
import { EventListener } from '../src/events/listener';
import { createSearchClient } from '../src/search/client';
import { startServer } from '../src/server';
import { createTemporal } from '../src/temporal/client';
import { round, type BenchResult } from './lib';
import { benchEnvironment } from './setup';

const run = promisify(execFile);
const AUTOCANNON = path.join(__dirname, '..', 'node_modules', '.bin', 'autocannon');
const SECONDS = Number(process.env.BENCH_AUTH_SECONDS ?? 10);
const CONNECTIONS = 10;

interface Load {
  requests: { average: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
}

async function load(url: string, options: string[]): Promise<Load> {
  const { stdout } = await run(AUTOCANNON, ['--json', '-c', String(CONNECTIONS), '-d', String(SECONDS), ...options, url], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as Load;
}

const row = (variant: string, l: Load) => ({
  variant,
  req_per_s: round(l.requests.average, 0),
  p50_ms: l.latency.p50,
  p99_ms: l.latency.p99,
  non_2xx: l.non2xx,
  errors: l.errors,
});

async function hashCost(memoryCost: number, timeCost: number): Promise<number> {
  const n = 10;
  await hash('warm-up-1!', { algorithm: 2, memoryCost, timeCost, parallelism: 1 });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await hash(`Password${i}!`, { algorithm: 2, memoryCost, timeCost, parallelism: 1 });
  return round((performance.now() - t0) / n, 1);
}

export default async function bench(): Promise<BenchResult> {
  const { config: base, orm } = await benchEnvironment();
  // Limits off: this measures the work per request, not the limiter refusing it.
  const config = loadConfig({ ...process.env, DATABASE_URL: base.DATABASE_URL, RATE_LIMIT_PER_MINUTE: '100000000', AUTH_RATE_LIMIT_PER_MINUTE: '100000000', LOG_LEVEL: 'warn' });
  const logger = pino({ level: 'warn' });
  const events = new EventListener(config.DATABASE_URL, logger);
  await events.start();
  const es = createSearchClient(config);
  const temporal = createTemporal(config);
  const server = await startServer({ config, logger, orm, es, temporal, events, auth: new AuthService(config) }, { host: '127.0.0.1', port: 0 });

  const email = `bench-${Date.now()}@example.com`;
  const password = 'Bench1234!';
  const registered = await fetch(`${server.url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, broker_name: 'Bench' }),
  });
  const { access_token: token } = (await registered.json()) as { access_token: string };

  const health = await load(`${server.url}/health`, []);
  const me = await load(`${server.url}/auth/me`, ['-H', `authorization=Bearer ${token}`]);
  const login = await load(`${server.url}/auth/login`, ['-m', 'POST', '-H', 'content-type=application/json', '-b', JSON.stringify({ email, password })]);

  // Requests autocannon abandoned at its deadline still finish server-side; let them drain.
  await new Promise((r) => setTimeout(r, 1000));
  await server.close();
  await events.stop();
  await temporal.connection.close();
  await es.close();
  await orm.close(true);

  const hashes = [
    { setting: 'm=19 MiB t=2 (chosen, OWASP baseline)', ms: await hashCost(19_456, 2) },
    { setting: 'm=47 MiB t=1 (OWASP alternative)', ms: await hashCost(47_104, 1) },
    { setting: 'm=64 MiB t=3 (RFC 9106 second choice)', ms: await hashCost(65_536, 3) },
  ];

  return {
    name: 'auth',
    description: `autocannon, ${CONNECTIONS} connections × ${SECONDS}s per variant, API in this process, load from another; Argon2id hash time per setting`,
    rows: [row('GET /health (no auth, no DB)', health), row('GET /auth/me (JWT, live-session query, rate-limit upsert, user read)', me), row('POST /auth/login (Argon2id verify + session insert)', login), ...hashes.map((h) => ({ variant: `argon2id hash ${h.setting}`, ms_per_hash: h.ms }))],
    figures: {
      authenticated_req_per_s: round(me.requests.average, 0),
      login_req_per_s: round(login.requests.average, 0),
      authenticated_vs_health_throughput_ratio: round(me.requests.average / health.requests.average, 2),
      chosen_hash_ms: hashes[0]!.ms,
    },
  };
}
