import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from './paths';


export interface Spawned {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (signal deaths resolve as null). */
  exited: Promise<number | null>;
}

/** Runs one of the project's entry points as its own process, the way `npm run api|worker` does. */
export function spawnEntry(entry: string, env: Record<string, string>): Spawned {
  // `node --import tsx` keeps one process, so a kill in a test reaches the entry point itself.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

export async function waitForOutput(proc: Spawned, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(proc.output())) {
    if (Date.now() > deadline) throw new Error(`process never printed ${pattern}; output:\n${proc.output()}`);
    if (proc.child.exitCode !== null) throw new Error(`process exited with ${proc.child.exitCode} before printing ${pattern}; output:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
