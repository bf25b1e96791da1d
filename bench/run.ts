/**
 * npm run bench [-- name…]: runs bench/*.bench.ts (or the named ones) one after another, prints
 * each table and writes bench/results/<name>.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDotEnv } from '../src/env';
import type { BenchResult } from './lib';

const BENCH_DIR = __dirname;
const RESULTS_DIR = path.join(BENCH_DIR, 'results');

async function main(): Promise<void> {
  loadDotEnv();
  process.env.LOG_LEVEL ??= 'warn';
  const wanted = process.argv.slice(2);
  const files = fs
    .readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, '')));
  if (files.length === 0) throw new Error(`no benchmark matches ${wanted.join(', ')}`);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });

  for (const file of files) {
    const mod = (await import(path.join(BENCH_DIR, file))) as { default: () => Promise<BenchResult> };
    const started = Date.now();
    const result = await mod.default();
    const record = {
      ...result,
      at: new Date().toISOString(),
      seconds: Math.round((Date.now() - started) / 100) / 10,
      machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    };
    fs.writeFileSync(path.join(RESULTS_DIR, `${result.name}.json`), `${JSON.stringify(record, null, 2)}\n`);
    console.log(`\n${result.name}: ${result.description}`);
    console.table(result.rows);
    console.log(result.figures);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
