/**
 * Leads at scale: a 100,000-row CSV bulk import through the API process (rows/s and that
 * process's peak RSS) against a plain COPY of the same rows in the same run; then pipeline
 * metrics over those 100,000 leads (p50/p99).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Client as PgClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { round, summarize, type BenchResult } from './lib';
import { benchEnvironment } from './setup';

const ROWS = Number(process.env.BENCH_LEADS_ROWS ?? 100_000);
const METRIC_CALLS = 50;
const ROOT = path.resolve(__dirname, '..');

function csvRows(prefix: number): string[] {
  return Array.from({ length: ROWS }, (_, i) => `+569${prefix}${String(i).padStart(7, '0')},Lead ${i},lead${prefix}-${i}@bench.example.com,"bench,${i % 7}"`);
}

/** Peak resident set of a process so far (VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024);
}

async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('API did not start');
}

export default async function bench(): Promise<BenchResult> {
  const { config, orm } = await benchEnvironment();
  await orm.close(true);
  const port = 18_000 + Math.floor(Math.random() * 1000);
  const url = `http://127.0.0.1:${port}`;
  const api = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: config.DATABASE_URL, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '100000000', AUTH_RATE_LIMIT_PER_MINUTE: '100000000', BULK_IMPORT_MAX_BYTES: String(512 * 1024 * 1024) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await waitForHealth(url);
    const reg = await fetch(`${url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `bench-${randomUUID()}@example.com`, password: 'Bench1234!', broker_name: 'Bench leads' }),
    });
    const { access_token: token } = (await reg.json()) as { access_token: string };
    const auth = { Authorization: `Bearer ${token}` };
    const me = (await (await fetch(`${url}/auth/me`, { headers: auth })).json()) as { broker_id: string };

    const prefix = Math.floor(Math.random() * 9) + 1;
    const rows = csvRows(prefix);
    const file = path.join(os.tmpdir(), `leads-bench-${process.pid}.csv`);
    fs.writeFileSync(file, ['phone,name,email,tags', ...rows].join('\n'));
    const sizeMiB = round(fs.statSync(file).size / 2 ** 20, 1);

    const rssBefore = peakRssMiB(api.pid!);
    const form = new FormData();
    form.append('file', await fs.openAsBlob(file), 'leads.csv');
    const t0 = performance.now();
    const res = await fetch(`${url}/api/v1/leads/bulk-import`, { method: 'POST', headers: auth, body: form });
    const importSeconds = (performance.now() - t0) / 1000;
    const summary = (await res.json()) as { imported: number };
    if (summary.imported !== ROWS) throw new Error(`import answered ${res.status} ${JSON.stringify(summary).slice(0, 300)}`);
    const rssPeak = peakRssMiB(api.pid!);

    // The same rows, as plain COPY into the same table for another tenant.
    const copyTenant = randomUUID();
    const copyPrefix = (prefix % 9) + 1 === prefix ? prefix + 1 : (prefix % 9) + 1;
    const pg = new PgClient({ connectionString: config.DATABASE_URL });
    await pg.connect();
    const t1 = performance.now();
    const copy = pg.query(copyFrom('copy customers (id, tenant_id, phone, name, email, tags, source, preferences, stage_changed_at, created_at, updated_at) from stdin with (format csv)'));
    const now = new Date().toISOString();
    const lines = csvRows(copyPrefix).map((r, i) => {
      const [phone, name, email] = r.split(',');
      return `${randomUUID()},${copyTenant},${phone},${name},${email},"[""bench"",""${i % 7}""]",import,{},${now},${now},${now}\n`;
    });
    await pipeline(Readable.from(lines), copy);
    const copySeconds = (performance.now() - t1) / 1000;

    // Give the imported leads a history of stage moves so the metrics have work to do.
    await pg.query(
      `insert into lead_activities (tenant_id, customer_id, type, description, data, created_at)
       select tenant_id, id, 'stage_changed', 'bench', jsonb_build_object('from', 'entrada', 'to', 'perfilamiento', 'manual', false), now()
       from customers where tenant_id = $1 and random() < 0.5`,
      [me.broker_id],
    );
    await pg.query(`update customers set pipeline_stage = 'perfilamiento' where tenant_id = $1 and id in (select customer_id from lead_activities where tenant_id = $1 and type = 'stage_changed')`, [me.broker_id]);
    await pg.query('analyze customers; analyze lead_activities');
    await pg.end();

    const metricsSamples: number[] = [];
    const boardSamples: number[] = [];
    for (let i = 0; i < METRIC_CALLS; i++) {
      let t = performance.now();
      const m = await fetch(`${url}/api/v1/pipeline/metrics`, { headers: auth });
      await m.arrayBuffer();
      metricsSamples.push(performance.now() - t);
      t = performance.now();
      const b = await fetch(`${url}/api/v1/pipeline`, { headers: auth });
      await b.arrayBuffer();
      boardSamples.push(performance.now() - t);
    }
    fs.rmSync(file);

    return {
      name: 'leads',
      description: `${ROWS} leads, CSV of ${sizeMiB} MiB; API as its own process; ${METRIC_CALLS} sequential calls per pipeline endpoint`,
      rows: [
        { variant: 'POST /api/v1/leads/bulk-import (parse, validate, E.164, dedupe, batched insert)', seconds: round(importSeconds, 2), rows_per_s: round(ROWS / importSeconds, 0), api_peak_rss_mib: rssPeak, api_rss_before_mib: rssBefore },
        { variant: 'COPY of the same rows (no validation)', seconds: round(copySeconds, 2), rows_per_s: round(ROWS / copySeconds, 0) },
        summarize(`GET /api/v1/pipeline/metrics over ${ROWS} leads`, metricsSamples),
        summarize(`GET /api/v1/pipeline (board) over ${ROWS} leads`, boardSamples),
      ],
      figures: {
        import_rows_per_s: round(ROWS / importSeconds, 0),
        copy_rows_per_s: round(ROWS / copySeconds, 0),
        import_vs_copy_time_ratio: round(importSeconds / copySeconds, 2),
        api_peak_rss_mib: rssPeak,
      },
    };
  } finally {
    api.kill('SIGTERM');
  }
}
