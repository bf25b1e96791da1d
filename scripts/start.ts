/**
 * npm start: the stack, migrations, then the API and the worker as two processes. Ctrl-C stops
 * both gracefully and leaves the stack running for the next start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadConfig, publicUrl } from '../src/config';
import { initOrm, migrateUp } from '../src/db/orm';
import { loadDotEnv } from '../src/env';
import { exitOnStartupError } from '../src/startup';

const ROOT = path.resolve(__dirname, '..');

function runToEnd(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${code}`))));
  });
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })).ok) return true;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  await runToEnd(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'stack.ts'), 'up']);

  const orm = await initOrm(config);
  try {
    const applied = await migrateUp(orm);
    console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'database schema is up to date');
  } finally {
    await orm.close(true);
  }

  // Each process handles SIGINT/SIGTERM itself; here we only forward signals and wait.
  // `node --import tsx` runs each entry point as one process, so signals reach it directly.
  const children = ['src/main.ts', 'worker/main.ts'].map((entry) =>
    spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], { cwd: ROOT, stdio: 'inherit' }),
  );
  const exited = children.map((child) => new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))));
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the API and the worker (the stack keeps running; npm run stack -- down stops it)`);
    for (const child of children) if (child.exitCode === null) child.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const base = publicUrl(config);
  if (await waitForHealth(base, children[0]!, 60_000)) {
    console.log(['', `  API          ${base}`, `  Docs         ${base}/docs`, `  Health       ${base}/health/details`, `  Temporal UI  ${config.TEMPORAL_UI_URL}`, ''].join('\n'));
  }
  // If either process dies, stop the other: a half-running product is worse than a clear exit.
  const first = await Promise.race(exited);
  if (!stopping) stop('SIGTERM');
  const codes = await Promise.all(exited);
  process.exit(stopping && codes.every((c) => c === 0) ? 0 : first || Math.max(...codes));
}

main().catch(exitOnStartupError('start'));
