/**
 * Peer B: pgvector inside PGlite (Postgres compiled to WebAssembly), installed under
 * `.stack/bench/pglite` for the benchmark only and loaded from there with a dynamic import.
 * Its figures are pgvector's algorithm run as 32-bit WebAssembly on one thread, not native
 * pgvector.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PEERS_DIR, PeerError, runTool } from './tools';

export const PGLITE_VERSION = '0.5.14';
/** The pgvector build published for that PGlite (its peer dependency names this exact version). */
export const PGLITE_PGVECTOR_VERSION = '0.0.15';
const PREFIX = path.join(PEERS_DIR, 'pglite');
const PACKAGES = { '@electric-sql/pglite': PGLITE_VERSION, '@electric-sql/pglite-pgvector': PGLITE_PGVECTOR_VERSION };

/** The part of PGlite's API this benchmark uses; the package's own types are not a project dependency. */
interface Pglite {
  exec(sql: string): Promise<unknown>;
  query<T>(sql: string, params?: unknown[], options?: { blob?: Blob }): Promise<{ rows: T[] }>;
  close(): Promise<void>;
}
interface PgliteModule {
  PGlite: new (dataDir: string, options: { extensions: Record<string, unknown> }) => Pglite;
}

function installedVersion(name: string): string | null {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(PREFIX, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? null;
  } catch {
    return null;
  }
}

/** Installs the pinned packages under `.stack/bench/pglite` unless already there; returns seconds spent. */
export async function ensurePglite(): Promise<number> {
  if (Object.entries(PACKAGES).every(([name, version]) => installedVersion(name) === version)) return 0;
  const started = Date.now();
  console.log(`[pglite] installing @electric-sql/pglite@${PGLITE_VERSION} and pglite-pgvector@${PGLITE_PGVECTOR_VERSION} into ${path.relative(process.cwd(), PREFIX)} (first run only)…`);
  fs.mkdirSync(PREFIX, { recursive: true });
  // A package.json of its own keeps npm from walking up into the project's.
  fs.writeFileSync(path.join(PREFIX, 'package.json'), `${JSON.stringify({ private: true, dependencies: PACKAGES }, null, 2)}\n`);
  await runTool('npm', ['install', '--prefix', PREFIX, '--no-audit', '--no-fund', '--loglevel=error'], {
    what: 'npm install (pglite peer)',
    fix: `check that the npm registry is reachable; remove ${PREFIX} to start over`,
    prefix: '[pglite/npm]',
  });
  for (const [name, version] of Object.entries(PACKAGES)) {
    const got = installedVersion(name);
    if (got !== version) throw new PeerError(`${name} ${got ?? 'missing'} in ${PREFIX} after install, expected ${version}`, `remove ${PREFIX} and rerun`);
  }
  return Math.round((Date.now() - started) / 100) / 10;
}

async function load(): Promise<{ PGlite: PgliteModule['PGlite']; vector: unknown }> {
  const from = createRequire(path.join(PREFIX, 'package.json'));
  const pglite = (await import(pathToFileURL(from.resolve('@electric-sql/pglite')).href)) as PgliteModule;
  const pgvector = (await import(pathToFileURL(from.resolve('@electric-sql/pglite-pgvector')).href)) as { vector: unknown };
  return { PGlite: pglite.PGlite, vector: pgvector.vector };
}

/** Rows in Postgres' binary COPY format: id int4, tenant_id text, embedding vector (pgvector's binary form). */
function copyChunk(corpus: Float32Array, dim: number, from: number, to: number, tenant: string): Buffer {
  const tenantBytes = Buffer.from(tenant, 'utf8');
  const rowBytes = 2 + (4 + 4) + (4 + tenantBytes.length) + (4 + 4 + dim * 4);
  const out = Buffer.alloc(19 + (to - from) * rowBytes + 2);
  let o = out.write('PGCOPY\n\xff\r\n\0', 0, 'latin1');
  o = out.writeInt32BE(0, o); // flags
  o = out.writeInt32BE(0, o); // header extension length
  for (let r = from; r < to; r++) {
    o = out.writeInt16BE(3, o);
    o = out.writeInt32BE(4, o);
    o = out.writeInt32BE(r, o);
    o = out.writeInt32BE(tenantBytes.length, o);
    o += tenantBytes.copy(out, o);
    o = out.writeInt32BE(4 + dim * 4, o);
    o = out.writeInt16BE(dim, o);
    o = out.writeInt16BE(0, o); // unused
    for (let i = 0, at = r * dim; i < dim; i++) o = out.writeFloatBE(corpus[at + i]!, o);
  }
  out.writeInt16BE(-1, o); // trailer
  return out;
}

export interface PgliteRun {
  n: number;
  load_s: number;
  index_s: number;
  latencies_ms: number[];
  ids: number[][];
  versions: { postgres: string; pgvector: string };
}

export async function runPglite(opts: { corpus: Float32Array; n: number; queries: Float32Array; dim: number; k: number; m: number; efConstruction: number; efSearch: number; warmup: Float32Array; tenant: string }): Promise<PgliteRun> {
  const { dim, k, n, tenant } = opts;
  const { PGlite, vector } = await load();
  // On disk rather than in memory: PGlite's in-memory file system slows down as the table grows
  // (29 s against 3 s to load 100,000 rows here).
  const dataDir = path.join(PEERS_DIR, 'pglite-data');
  fs.rmSync(dataDir, { recursive: true, force: true });
  const pg = new PGlite(dataDir, { extensions: { vector } });
  try {
    await pg.exec('create extension vector');
    const [{ postgres }] = (await pg.query<{ postgres: string }>("select current_setting('server_version') as postgres")).rows as [{ postgres: string }];
    const [{ pgvector }] = (await pg.query<{ pgvector: string }>("select extversion as pgvector from pg_extension where extname = 'vector'")).rows as [{ pgvector: string }];
    await pg.exec(`create table items (id int primary key, tenant_id text not null, embedding vector(${dim}) not null)`);

    let started = performance.now();
    const chunk = 5000;
    for (let from = 0; from < n; from += chunk) {
      const body = copyChunk(opts.corpus, dim, from, Math.min(n, from + chunk), tenant);
      await pg.query("copy items (id, tenant_id, embedding) from '/dev/blob' with (format binary)", [], { blob: new Blob([body]) });
    }
    await pg.exec('analyze items');
    const load_s = (performance.now() - started) / 1000;
    console.log(`[pglite] loaded ${n} rows in ${load_s.toFixed(1)}s; building the HNSW index…`);

    started = performance.now();
    // Room for the whole graph, so the build never falls back to its slower on-disk phase.
    await pg.exec("set maintenance_work_mem = '1GB'");
    await pg.exec(`create index items_embedding on items using hnsw (embedding vector_cosine_ops) with (m = ${opts.m}, ef_construction = ${opts.efConstruction})`);
    const index_s = (performance.now() - started) / 1000;
    console.log(`[pglite] index built in ${index_s.toFixed(1)}s`);

    await pg.exec(`set hnsw.ef_search = ${opts.efSearch}`);
    // At the small sizes of a quick run the planner rightly prefers a scan; this row is about the index.
    await pg.exec('set enable_seqscan = off');
    const literal = (m: Float32Array, q: number) => `[${Array.from(m.subarray(q * dim, (q + 1) * dim)).join(',')}]`;
    const sql = `select id from items where tenant_id = $2 order by embedding <=> $1::vector limit ${k}`;
    const plan = (await pg.query<{ 'QUERY PLAN': string }>(`explain ${sql.replace('$1::vector', `'${literal(opts.queries, 0)}'::vector`).replace('$2', `'${tenant}'`)}`)).rows.map((r) => r['QUERY PLAN'].slice(0, 120)).join('\n');
    if (!plan.includes('items_embedding')) throw new Error(`pglite: the query does not use the HNSW index:\n${plan}`);

    const nq = opts.queries.length / dim;
    const literals = Array.from({ length: nq }, (_, q) => literal(opts.queries, q));
    for (let q = 0; q < opts.warmup.length / dim; q++) await pg.query(sql, [literal(opts.warmup, q), tenant]);
    const latencies_ms: number[] = [];
    const ids: number[][] = [];
    for (let q = 0; q < nq; q++) {
      const t0 = performance.now();
      const res = await pg.query<{ id: number }>(sql, [literals[q], tenant]);
      latencies_ms.push(performance.now() - t0);
      ids.push(res.rows.map((r) => r.id));
    }
    return { n, load_s, index_s, latencies_ms, ids, versions: { postgres, pgvector } };
  } finally {
    await pg.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
