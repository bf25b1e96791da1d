import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../src/contracts/search-attributes';
import { ROOT } from './paths';
import { ensureTemporalCli } from '../../scripts/temporal-cli';

/** A Temporal dev server of a test's own, with its state in a file that outlives the process. */
export interface DevServer {
  address: string;
  output(): string;
  running(): boolean;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
  /** Starts the server again on the same port and state file; resolves once it answers. */
  start(): Promise<void>;
}

/** The Temporal CLI: TEMPORAL_CLI, else the one `npm run stack` installs, else the PATH's, else one installed now. */
export function temporalCli(): string {
  const candidates = [process.env.TEMPORAL_CLI, path.join(ROOT, '.stack', 'venv', 'bin', 'temporal')];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  const found = spawnSync('sh', ['-c', 'command -v temporal'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  // The shared stack may be served from elsewhere, so nothing installed a CLI here: install one.
  return ensureTemporalCli(path.join(ROOT, '.stack'));
}

/** Starts `temporal server start-dev` on the given port, with the product's search attributes. */
export async function startDevServer(options: { port: number; dbFile: string }): Promise<DevServer> {
  const address = `127.0.0.1:${options.port}`;
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(options.port),
    '--headless',
    '--db-filename', options.dbFile,
    '--namespace', 'default',
    '--log-level', 'error',
    ...Object.entries(CUSTOM_SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let out = '';

  const server: DevServer = {
    address,
    output: () => out,
    running: () => child !== null,
    async start() {
      if (child) throw new Error('the dev server is already running');
      const proc = spawn(temporalCli(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
      proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      child = proc;
      exited = new Promise((resolve) => proc.once('exit', () => resolve()));
      await waitUntilServing(address, proc, () => out);
    },
    async stop() {
      if (!child) return;
      child.kill('SIGTERM');
      await exited;
      child = null;
    },
  };
  await server.start();
  return server;
}

/** Up means the port accepts connections and the default namespace answers. */
async function waitUntilServing(address: string, proc: ChildProcess, output: () => string, timeoutMs = 60_000): Promise<void> {
  const [host, port] = address.split(':') as [string, string];
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`the Temporal dev server exited with ${proc.exitCode}:\n${output()}`);
    try {
      await tcpConnect(host, Number(port));
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`the Temporal dev server on ${address} did not answer within ${timeoutMs / 1000}s (${last instanceof Error ? last.message : String(last)}):\n${output()}`);
}

function tcpConnect(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000, () => {
      socket.destroy();
      reject(new Error(`connecting to ${host}:${port} timed out`));
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}
