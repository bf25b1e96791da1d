/**
 * Peer A: Chroma from PyPI, in a venv of its own under `.stack/bench/`, driven by
 * `chroma_knn.py` over vector files this side writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PEERS_DIR, PeerError, runTool } from './tools';

export const CHROMA_VERSION = '1.5.9';
const VENV = path.join(PEERS_DIR, 'chroma-venv');
const PYTHON = path.join(VENV, 'bin', 'python');
const SCRIPT = path.join(__dirname, 'chroma_knn.py');

export interface ChromaRun {
  version: string;
  count: number;
  batch: number;
  build_s: number;
  latencies_ms: number[];
  ids: number[][];
  configuration: Record<string, unknown>;
}

async function installedVersion(): Promise<string | null> {
  if (!fs.existsSync(PYTHON)) return null;
  try {
    const out = await runTool(PYTHON, ['-c', 'import importlib.metadata as m; print(m.version("chromadb"))'], { what: 'chromadb version', fix: '' });
    return out.trim();
  } catch {
    return null;
  }
}

/** Creates the venv and installs the pinned chromadb unless it is already there; returns seconds spent. */
export async function ensureChroma(): Promise<number> {
  if ((await installedVersion()) === CHROMA_VERSION) return 0;
  const started = Date.now();
  console.log(`[chroma] installing chromadb==${CHROMA_VERSION} into ${path.relative(process.cwd(), VENV)} (first run only)…`);
  if (!fs.existsSync(PYTHON)) {
    await runTool('python3', ['-m', 'venv', VENV], {
      what: 'python3 -m venv',
      fix: `install Python 3 with venv (Debian: apt-get install -y python3 python3-venv), then rerun; or remove ${VENV}`,
    });
  }
  await runTool(PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `chromadb==${CHROMA_VERSION}`], {
    what: `pip install chromadb==${CHROMA_VERSION}`,
    fix: `check that PyPI is reachable and that a chromadb ${CHROMA_VERSION} wheel exists for this platform; remove ${VENV} to start over`,
    prefix: '[chroma/pip]',
  });
  const got = await installedVersion();
  if (got !== CHROMA_VERSION) throw new PeerError(`chromadb ${got ?? 'missing'} in ${VENV} after install, expected ${CHROMA_VERSION}`, `remove ${VENV} and rerun`);
  return Math.round((Date.now() - started) / 100) / 10;
}

/** Builds the collection from `vectorsFile` and runs every query in `queriesFile`, in a child Python. */
export async function runChroma(opts: { vectorsFile: string; queriesFile: string; warmupFile: string; dim: number; k: number; m: number; efConstruction: number; efSearch: number }): Promise<ChromaRun> {
  const dataDir = path.join(PEERS_DIR, 'chroma-data');
  const out = await runTool(
    PYTHON,
    [
      SCRIPT,
      '--vectors', opts.vectorsFile,
      '--queries', opts.queriesFile,
      '--dim', String(opts.dim),
      '--k', String(opts.k),
      '--m', String(opts.m),
      '--ef-construction', String(opts.efConstruction),
      '--ef-search', String(opts.efSearch),
      '--warmup-queries', opts.warmupFile,
      '--data-dir', dataDir,
    ],
    { what: 'chroma peer (bench/peers/chroma_knn.py)', fix: `see the [chroma] lines above; remove ${VENV} to reinstall`, prefix: '' },
  );
  fs.rmSync(dataDir, { recursive: true, force: true });
  return JSON.parse(out) as ChromaRun;
}
