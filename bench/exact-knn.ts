/**
 * Exact top-k by dot product (= cosine for unit vectors): the ground truth ANN recall is measured
 * against. Queries are split across worker threads over one shared copy of the corpus, and the
 * result is cached on disk because it depends only on the generated data.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface ExactKnnJob {
  corpus: Float32Array;
  queries: Float32Array;
  dim: number;
  k: number;
  /** Half-open range of query rows this call answers. */
  from: number;
  to: number;
}

/** Queries scored together against each corpus row, so each row is read from memory once per block. */
const BLOCK = 4;

/**
 * Row ids of the k best corpus rows for queries [from, to), best first, k per query. Runs on the
 * calling thread; `exactTopK` spreads it over workers.
 */
export function exactTopKRange({ corpus, queries, dim, k, from, to }: ExactKnnJob): Int32Array<ArrayBuffer> {
  const n = corpus.length / dim;
  const out = new Int32Array((to - from) * k);
  const bestIds = Array.from({ length: BLOCK }, () => new Int32Array(k));
  const bestScores = Array.from({ length: BLOCK }, () => new Float64Array(k));
  const scores = new Float64Array(BLOCK);
  for (let q = from; q < to; q += BLOCK) {
    const width = Math.min(BLOCK, to - q);
    // Unused lanes of a short last block repeat its first query and are discarded.
    const o0 = q * dim;
    const o1 = (width > 1 ? q + 1 : q) * dim;
    const o2 = (width > 2 ? q + 2 : q) * dim;
    const o3 = (width > 3 ? q + 3 : q) * dim;
    for (let b = 0; b < BLOCK; b++) {
      bestIds[b]!.fill(-1);
      bestScores[b]!.fill(-Infinity);
    }
    for (let row = 0; row < n; row++) {
      const r = row * dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < dim; i++) {
        const x = corpus[r + i]!;
        s0 += queries[o0 + i]! * x;
        s1 += queries[o1 + i]! * x;
        s2 += queries[o2 + i]! * x;
        s3 += queries[o3 + i]! * x;
      }
      scores[0] = s0;
      scores[1] = s1;
      scores[2] = s2;
      scores[3] = s3;
      for (let b = 0; b < width; b++) {
        const s = scores[b]!;
        const bs = bestScores[b]!;
        if (s <= bs[k - 1]!) continue;
        // Insertion into a k-long sorted list: k is small and most rows never get here.
        const ids = bestIds[b]!;
        let j = k - 1;
        while (j > 0 && bs[j - 1]! < s) {
          bs[j] = bs[j - 1]!;
          ids[j] = ids[j - 1]!;
          j--;
        }
        bs[j] = s;
        ids[j] = row;
      }
    }
    for (let b = 0; b < width; b++) out.set(bestIds[b]!, (q + b - from) * k);
  }
  return out;
}

/** A worker does not get tsx's loader from the runner's flags: it registers tsx's require hook itself. */
const WORKER_BOOTSTRAP = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(path.join(__dirname, 'exact-knn.worker.ts'))});`;

function sharedCopy(a: Float32Array): Float32Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const shared = new Float32Array(new SharedArrayBuffer(a.byteLength));
  shared.set(a);
  return shared;
}

/** Exact top-k for every query, computed on `threads` worker threads (default: one per core). */
export async function exactTopK(corpus: Float32Array, queries: Float32Array, dim: number, k: number, threads = os.availableParallelism()): Promise<Int32Array> {
  const sharedCorpus = sharedCopy(corpus);
  const sharedQueries = sharedCopy(queries);
  const nq = queries.length / dim;
  const per = Math.ceil(nq / threads / BLOCK) * BLOCK;
  const parts = await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const from = Math.min(nq, t * per);
      const to = Math.min(nq, from + per);
      const job: ExactKnnJob = { corpus: sharedCorpus, queries: sharedQueries, dim, k, from, to };
      return new Promise<Int32Array>((resolve, reject) => {
        const worker = new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: job });
        worker.once('message', (ids: Int32Array) => resolve(ids));
        worker.once('error', reject);
        worker.once('exit', (code) => code !== 0 && reject(new Error(`exact-knn worker exited with ${code}`)));
      });
    }),
  );
  const out = new Int32Array(nq * k);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * `exactTopK`, read from `file` when a previous run left it there. `computedS` is how long the
 * computation took, in this run or the one that cached it (kept beside the ids).
 */
export async function cachedExactTopK(file: string, corpus: Float32Array, queries: Float32Array, dim: number, k: number): Promise<{ ids: Int32Array; cached: boolean; computedS: number }> {
  const expected = (queries.length / dim) * k;
  const metaFile = `${file}.json`;
  if (fs.existsSync(file) && fs.existsSync(metaFile)) {
    const buf = fs.readFileSync(file);
    if (buf.byteLength === expected * 4) {
      const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as { computedS: number };
      return { ids: new Int32Array(buf.buffer, buf.byteOffset, expected).slice(), cached: true, computedS: meta.computedS };
    }
  }
  const started = performance.now();
  const ids = await exactTopK(corpus, queries, dim, k);
  const computedS = Math.round((performance.now() - started) / 100) / 10;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Written whole then renamed, so an interrupted run never leaves a truncated cache behind.
  fs.writeFileSync(`${file}.tmp`, Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength));
  fs.renameSync(`${file}.tmp`, file);
  fs.writeFileSync(metaFile, JSON.stringify({ computedS }));
  return { ids, cached: false, computedS };
}
