/**
 * Vector retrieval at 100,000 vectors (dimension 384, cosine, HNSW m=16 ef_construction=100):
 * Elasticsearch's kNN search against two peers measured in the same run on the same vectors and
 * queries: Chroma (PyPI, HNSW) and pgvector inside PGlite (WebAssembly). Recall@10 is against an
 * exact brute-force top-10. Peers are installed under `.stack/bench/` on first run, never into
 * the project's dependencies.
 *
 * BENCH_RETRIEVAL_N overrides the vector count (quick runs); BENCH_RETRIEVAL_PGLITE_N caps the
 * PGlite peer's size separately (its single WebAssembly thread is the slowest to build).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { estypes } from '@elastic/elasticsearch';
import { loadConfig } from '../src/config';
import { createSearchClient, type SearchClient } from '../src/search/client';
import { cachedExactTopK } from './exact-knn';
import { percentile, round, type BenchResult } from './lib';
import { CHROMA_VERSION, ensureChroma, runChroma } from './peers/chroma';
import { PGLITE_PGVECTOR_VERSION, PGLITE_VERSION, ensurePglite, runPglite } from './peers/pglite';
import { CACHE_DIR } from './peers/tools';
import { EmbeddingMixture, GENERATOR_VERSION } from './vectors';

const N = Number(process.env.BENCH_RETRIEVAL_N ?? 100_000);
const PGLITE_N = Math.min(N, Number(process.env.BENCH_RETRIEVAL_PGLITE_N ?? N));
const DIM = 384;
const QUERIES = 1000;
const K = 10;
const SEED = 384_001;
/**
 * Queries run before each measured pass, drawn apart from the measured ones. Enough for the JVM
 * to settle: after 100, Elasticsearch's p50 still fell by a third over the next 1,000 queries.
 */
const WARMUP = 500;
const HNSW = { m: 16, efConstruction: 100 };
/** Peers' search-time beam, the counterpart of Elasticsearch's num_candidates=100. */
const EF_SEARCH = 100;
const NUM_CANDIDATES = [50, 100, 200];
const TENANT = 'bench-tenant';
const CORPUS_STREAM = 1;
const QUERY_STREAM = 2;
const WARMUP_STREAM = 3;

/**
 * The index the benchmark searches. Kept in one place so it can be replaced by the product's own
 * mapping once there is one; the search below needs only the two field names.
 */
export function retrievalIndex(index: string): { create: estypes.IndicesCreateRequest; vectorField: string; tenantField: string } {
  return {
    vectorField: 'embedding',
    tenantField: 'tenant_id',
    create: {
      index,
      settings: { number_of_shards: 1, number_of_replicas: 0 },
      mappings: {
        dynamic: 'strict',
        properties: {
          tenant_id: { type: 'keyword' },
          embedding: { type: 'dense_vector', dims: DIM, index: true, similarity: 'cosine', index_options: { type: 'hnsw', m: HNSW.m, ef_construction: HNSW.efConstruction } },
        },
      },
    },
  };
}

type Row = Record<string, string | number>;

const seconds = (fromMs: number) => round((performance.now() - fromMs) / 1000, 1);

function recallAt(k: number, got: number[][], truth: Int32Array): number {
  let hits = 0;
  got.forEach((ids, q) => {
    const want = new Set(truth.subarray(q * k, (q + 1) * k));
    hits += ids.slice(0, k).filter((id) => want.has(id)).length;
  });
  return hits / (got.length * k);
}

function row(system: string, setting: string, n: number, latencies: number[], recall: number, buildS: number): Row {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { system, setting, n, p50_ms: round(percentile(sorted, 50), 2), p99_ms: round(percentile(sorted, 99), 2), recall_at_10: round(recall, 4), build_s: round(buildS, 1) };
}

/** Elasticsearch's own `took` (whole milliseconds), to tell server time from the HTTP and client share. */
function withTook(r: Row, took: number[]): Row {
  const sorted = [...took].sort((a, b) => a - b);
  return { ...r, took_p50_ms: percentile(sorted, 50), took_p99_ms: percentile(sorted, 99) };
}

/** A float32 as the shortest decimal that parses back to the same float32 (9 significant digits always do). */
function vectorJson(v: Float32Array): string {
  const parts = new Array<string>(v.length);
  for (let i = 0; i < v.length; i++) parts[i] = v[i]!.toPrecision(9);
  return `[${parts.join(',')}]`;
}

function writeOnce(file: string, data: Float32Array): void {
  if (fs.existsSync(file) && fs.statSync(file).size === data.byteLength) return;
  fs.writeFileSync(`${file}.tmp`, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  fs.renameSync(`${file}.tmp`, file);
}

async function segmentCount(es: SearchClient, index: string): Promise<number> {
  const stats = await es.indices.stats({ index, metric: 'segments' });
  return stats._all.primaries?.segments?.count ?? NaN;
}

/**
 * `es` is the product's client, used for the searches; `admin` the same with a timeout long enough
 * for the bulk load and the force-merge (the client's timeout also bounds the HTTP connection, so
 * a per-request override does not lift it).
 */
async function elasticsearch(es: SearchClient, admin: SearchClient, corpus: Float32Array, queries: Float32Array, warmup: Float32Array, truth: Int32Array): Promise<{ rows: Row[]; loadS: number; mergeS: number; version: string }> {
  const index = `bench-retrieval-${Date.now()}`;
  const { create, vectorField, tenantField } = retrievalIndex(index);
  const nodes = await es.nodes.info({ filter_path: ['nodes.*.version'] });
  const version = Object.values(nodes.nodes)[0]?.version ?? 'unknown';
  const system = `elasticsearch ${version}`;

  await admin.indices.create(create);
  try {
    let started = performance.now();
    // As a reindex job would: no periodic refreshes while loading, one at the end.
    await admin.indices.putSettings({ index, settings: { refresh_interval: '-1' } });
    let dropped = 0;
    await admin.helpers.bulk(
      {
        datasource: (async function* () {
          for (let i = 0; i < N; i++) yield i;
        })(),
        // The vector is serialized here rather than by the client: 9 digits instead of 17, exactly the same float32.
        onDocument: (i: number) => [{ index: { _index: index, _id: String(i) } }, `{"${tenantField}":${JSON.stringify(TENANT)},"${vectorField}":${vectorJson(corpus.subarray(i * DIM, (i + 1) * DIM))}}`],
        onDrop: () => dropped++,
        concurrency: 2,
      },
    );
    if (dropped > 0) throw new Error(`elasticsearch: ${dropped} documents were rejected by the bulk load`);
    await admin.indices.putSettings({ index, settings: { refresh_interval: '1s' } });
    await admin.indices.refresh({ index });
    const loadS = seconds(started);
    const count = (await es.count({ index })).count;
    if (count !== N) throw new Error(`elasticsearch: index holds ${count} documents, expected ${N}`);
    const segmentsBefore = await segmentCount(es, index);
    console.log(`[es] loaded ${N} in ${loadS}s (${segmentsBefore} segments)`);

    const asArrays = (m: Float32Array) => Array.from({ length: m.length / DIM }, (_, q) => Array.from(m.subarray(q * DIM, (q + 1) * DIM)));
    const queryVectors = asArrays(queries);
    const warmupVectors = asArrays(warmup);
    const search = async (queryVector: number[], numCandidates: number, filtered: boolean) => {
      const res = await es.search({
        index,
        size: K,
        _source: false,
        knn: {
          field: vectorField,
          query_vector: queryVector,
          k: K,
          num_candidates: numCandidates,
          ...(filtered ? { filter: { term: { [tenantField]: TENANT } } } : {}),
        },
      });
      return { ids: res.hits.hits.map((h) => Number(h._id)), took: res.took };
    };
    const measure = async (numCandidates: number, filtered: boolean) => {
      for (const v of warmupVectors) await search(v, numCandidates, filtered);
      const latencies: number[] = [];
      const took: number[] = [];
      const ids: number[][] = [];
      for (const v of queryVectors) {
        const t0 = performance.now();
        const res = await search(v, numCandidates, filtered);
        latencies.push(performance.now() - t0);
        ids.push(res.ids);
        took.push(res.took);
      }
      return { latencies, took, recall: recallAt(K, ids, truth) };
    };

    const rows: Row[] = [];
    const before = await measure(100, true);
    rows.push(withTook(row(system, `num_candidates=100, tenant filter, before force-merge (${segmentsBefore} segments)`, N, before.latencies, before.recall, loadS), before.took));

    started = performance.now();
    await admin.indices.forcemerge({ index, max_num_segments: 1 });
    const mergeS = seconds(started);
    const segmentsAfter = await segmentCount(es, index);
    console.log(`[es] force-merged to ${segmentsAfter} segment(s) in ${mergeS}s`);
    if (segmentsAfter !== 1) throw new Error(`elasticsearch: ${segmentsAfter} segments after force-merge, expected 1`);

    for (const nc of NUM_CANDIDATES) {
      const r = await measure(nc, true);
      rows.push(withTook(row(system, `num_candidates=${nc}, tenant filter, 1 segment`, N, r.latencies, r.recall, loadS + mergeS), r.took));
    }
    const unfiltered = await measure(100, false);
    rows.push(withTook(row(system, 'num_candidates=100, no filter, 1 segment', N, unfiltered.latencies, unfiltered.recall, loadS + mergeS), unfiltered.took));
    return { rows, loadS, mergeS, version };
  } finally {
    await admin.indices.delete({ index }, { ignore: [404] });
  }
}

export default async function bench(): Promise<BenchResult> {
  const phases: Record<string, number> = {};
  // The 1-minute load average at the end of each phase: on a shared 2-core machine anything above
  // ~2 means another process competed with the one being measured.
  const load: string[] = [];
  const phaseDone = (name: string) => load.push(`${name} ${os.loadavg()[0]!.toFixed(1)}`);
  const key = `n${N}-d${DIM}-s${SEED}-g${GENERATOR_VERSION}`;
  const cache = path.join(CACHE_DIR, 'retrieval');
  fs.mkdirSync(cache, { recursive: true });

  // Peers first: a broken install should stop the run before the long phases.
  phases.chroma_install_s = await ensureChroma();
  phases.pglite_install_s = await ensurePglite();

  let started = performance.now();
  const mixture = new EmbeddingMixture({ dim: DIM, seed: SEED });
  const corpus = mixture.sample(N, CORPUS_STREAM);
  const queries = mixture.sample(QUERIES, QUERY_STREAM);
  const warmup = mixture.sample(WARMUP, WARMUP_STREAM);
  phases.generate_s = seconds(started);
  phaseDone('generate');
  console.log(`[vectors] ${N} + ${QUERIES} queries generated in ${phases.generate_s}s`);

  started = performance.now();
  const truthFor = async (n: number) => {
    const file = path.join(cache, `ground-truth-n${n}-d${DIM}-s${SEED}-g${GENERATOR_VERSION}-q${QUERIES}-k${K}.i32`);
    return cachedExactTopK(file, corpus.subarray(0, n * DIM), queries, DIM, K);
  };
  const truth = await truthFor(N);
  phases.ground_truth_s = seconds(started);
  phaseDone('ground_truth');
  console.log(`[ground truth] exact top-${K} for ${QUERIES} queries over ${N}: ${truth.computedS}s to compute${truth.cached ? `, read from cache in ${phases.ground_truth_s}s` : ''}`);

  started = performance.now();
  const config = loadConfig();
  const es = createSearchClient(config);
  const admin = createSearchClient({ ...config, ELASTICSEARCH_REQUEST_TIMEOUT_MS: 30 * 60_000 });
  const esRun = await elasticsearch(es, admin, corpus, queries, warmup, truth.ids).finally(() => Promise.all([es.close(), admin.close()]));
  phases.elasticsearch_s = seconds(started);
  phaseDone('elasticsearch');

  started = performance.now();
  const vectorsFile = path.join(cache, `vectors-${key}.f32`);
  const queriesFile = path.join(cache, `queries-q${QUERIES}-d${DIM}-s${SEED}-g${GENERATOR_VERSION}.f32`);
  writeOnce(vectorsFile, corpus);
  const warmupFile = path.join(cache, `warmup-q${WARMUP}-d${DIM}-s${SEED}-g${GENERATOR_VERSION}.f32`);
  writeOnce(queriesFile, queries);
  writeOnce(warmupFile, warmup);
  const chroma = await runChroma({ vectorsFile, queriesFile, warmupFile, dim: DIM, k: K, m: HNSW.m, efConstruction: HNSW.efConstruction, efSearch: EF_SEARCH });
  phases.chroma_s = seconds(started);
  phaseDone('chroma');
  const chromaRow = row(`chroma ${chroma.version} (in-process, Python)`, `ef_search=${EF_SEARCH}, no filter`, chroma.count, chroma.latencies_ms, recallAt(K, chroma.ids, truth.ids), chroma.build_s);

  started = performance.now();
  const pgTruth = PGLITE_N === N ? truth : await truthFor(PGLITE_N);
  const pg = await runPglite({ corpus, n: PGLITE_N, queries, dim: DIM, k: K, m: HNSW.m, efConstruction: HNSW.efConstruction, efSearch: EF_SEARCH, warmup, tenant: TENANT });
  phases.pglite_s = seconds(started);
  phaseDone('pglite');
  const pgRow = row(
    `pgvector ${pg.versions.pgvector} (pglite ${PGLITE_VERSION}, WebAssembly)`,
    `hnsw.ef_search=${EF_SEARCH}, tenant filter${PGLITE_N < N ? `, smaller set: ${PGLITE_N}` : ''}`,
    pg.n,
    pg.latencies_ms,
    recallAt(K, pg.ids, pgTruth.ids),
    pg.load_s + pg.index_s,
  );

  const rows = [...esRun.rows, chromaRow, pgRow];
  const esMain = esRun.rows.find((r) => String(r.setting).startsWith('num_candidates=100, tenant filter, 1 segment'))!;
  const ratio = (a: Row, b: Row, col: string) => round(Number(a[col]) / Number(b[col]), 2);
  return {
    name: 'retrieval',
    description:
      `kNN top-${K} over ${N} synthetic embedding-like vectors (dim ${DIM}, cosine, HNSW m=${HNSW.m} ef_construction=${HNSW.efConstruction}), ` +
      `${QUERIES} queries one at a time after ${WARMUP} other warm-up queries, recall@${K} against exact brute force. ` +
      'Elasticsearch latency is client-side wall time through the Node client (HTTP round trip included), on an index force-merged to 1 segment as a rebuilt index is ' +
      '(the row before force-merge is the same index straight after the bulk load); Chroma latency is measured inside its Python process around the query call, ' +
      'pgvector latency inside the Node process around the PGlite call: neither has a network hop. ' +
      'pgvector runs as 32-bit WebAssembly on one thread inside PGlite, so its figures are not those of native pgvector. build_s: load + index until searchable ' +
      '(Elasticsearch: bulk + refresh, plus the force-merge where it applies). took_*: Elasticsearch\'s own server-side time.',
    rows,
    figures: {
      es_p50_vs_chroma_p50: ratio(esMain, chromaRow, 'p50_ms'),
      es_p99_vs_chroma_p99: ratio(esMain, chromaRow, 'p99_ms'),
      es_p50_vs_pglite_p50: ratio(esMain, pgRow, 'p50_ms'),
      es_p99_vs_pglite_p99: ratio(esMain, pgRow, 'p99_ms'),
      es_build_vs_chroma_build: ratio(esMain, chromaRow, 'build_s'),
      es_build_vs_pglite_build: ratio(esMain, pgRow, 'build_s'),
      recall_es_nc50: Number(esRun.rows.find((r) => String(r.setting).startsWith('num_candidates=50,'))!.recall_at_10),
      recall_es_nc100: Number(esMain.recall_at_10),
      recall_es_nc200: Number(esRun.rows.find((r) => String(r.setting).startsWith('num_candidates=200,'))!.recall_at_10),
      recall_chroma: Number(chromaRow.recall_at_10),
      recall_pglite: Number(pgRow.recall_at_10),
      es_bulk_load_s: esRun.loadS,
      es_force_merge_s: esRun.mergeS,
      pglite_load_s: round(pg.load_s, 1),
      pglite_index_s: round(pg.index_s, 1),
      ground_truth_compute_s: truth.computedS,
      ground_truth_cached: truth.cached ? 'yes: computed by an earlier run, read from disk' : 'no: computed in this run',
      ...Object.fromEntries(Object.entries(phases).map(([k, v]) => [`phase_${k}`, v])),
      load_1m_after_phase: load.join(', '),
      versions: `elasticsearch ${esRun.version}, chromadb ${CHROMA_VERSION}, @electric-sql/pglite ${PGLITE_VERSION} + @electric-sql/pglite-pgvector ${PGLITE_PGVECTOR_VERSION} (pgvector ${pg.versions.pgvector}, PostgreSQL ${pg.versions.postgres})`,
    },
  };
}
