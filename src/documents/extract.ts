import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DocumentError } from './errors';

const WORKER_FILE = path.join(__dirname, 'extract-worker.js');

export interface ExtractOptions {
  /** Wall-clock budget for one file, worker start-up included. */
  timeoutMs?: number;
  /** Heap limit of the worker thread. */
  maxMemoryMb?: number;
}

type WorkerReply = { ok: true; text: string; pages?: number } | { ok: false; name: string; message: string };

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MEMORY_MB = 512;

/**
 * Extracts the text of a PDF or DOCX in a worker thread of its own, so that a hostile or broken
 * file ends as a DocumentError instead of a hung or crashed activity worker: the thread has a
 * heap limit, a deadline, and is terminated either way.
 */
export function extractText(kind: 'pdf' | 'docx', bytes: Uint8Array, options: ExtractOptions = {}): Promise<{ text: string; pages?: number }> {
  const label = kind.toUpperCase();
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_FILE, {
      workerData: { kind, bytes },
      resourceLimits: { maxOldGenerationSizeMb: options.maxMemoryMb ?? DEFAULT_MEMORY_MB },
      // The parsers' own console output is noise to the caller; failures come back as messages.
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    let settled = false;
    const settle = (outcome: { text: string; pages?: number } | DocumentError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if (outcome instanceof DocumentError) reject(outcome);
      else resolve(outcome);
    };
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const budget = timeoutMs >= 1000 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`;
    const timer = setTimeout(() => settle(new DocumentError('parse_timeout', `Reading the ${label} took longer than ${budget}`)), timeoutMs);

    worker.once('message', (reply: WorkerReply) => {
      if (reply.ok) settle({ text: reply.text, ...(reply.pages !== undefined ? { pages: reply.pages } : {}) });
      else if (reply.name === 'PasswordException') settle(new DocumentError('corrupt_file', `The ${label} is password-protected`));
      else settle(new DocumentError('corrupt_file', `The ${label} could not be read: ${reply.message}`));
    });
    worker.once('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') settle(new DocumentError('too_large', `Reading the ${label} needs more than ${options.maxMemoryMb ?? DEFAULT_MEMORY_MB} MB of memory`));
      else settle(new DocumentError('corrupt_file', `The ${label} could not be read: ${err.message}`));
    });
    worker.once('exit', (code) => settle(new DocumentError('corrupt_file', `The ${label} reader stopped unexpectedly (exit code ${code})`)));
  });
}
