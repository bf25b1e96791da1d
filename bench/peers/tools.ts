/**
 * Shared plumbing for the peer systems a benchmark compares against. Peers are installed for the
 * benchmark only, under `.stack/bench/`, never into the project's dependencies; a failed install
 * stops the run with a hint rather than dropping the peer's row.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
/** Peer installs and their data. */
export const PEERS_DIR = path.join(ROOT, '.stack', 'bench');
/** Generated inputs and ground truth, reusable across runs. */
export const CACHE_DIR = path.join(ROOT, '.stack', 'cache', 'bench');

export class PeerError extends Error {
  constructor(message: string, fix: string) {
    super(`${message}\n  fix: ${fix}`);
  }
}

/**
 * Runs a command to completion; stdout is returned, stderr is passed through line by line with a
 * prefix (`''` for none; omitted: kept quiet) so a long peer phase shows progress.
 */
export function runTool(cmd: string, args: string[], opts: { what: string; fix: string; prefix?: string; cwd?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const errTail: string[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        errTail.push(line);
        if (errTail.length > 20) errTail.shift();
        if (opts.prefix !== undefined) console.log(opts.prefix ? `${opts.prefix} ${line}` : line);
      }
    });
    child.once('error', (err) => reject(new PeerError(`${opts.what}: ${err.message}`, opts.fix)));
    child.once('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString());
      reject(new PeerError(`${opts.what} failed (exit ${code}):\n${errTail.join('\n')}`, opts.fix));
    });
  });
}
