import { TEST_AUTH_SECRET } from './auth';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { eventStreamName } from '@tally/messaging';
import { createTestDatabase, uniqueName } from './test-database';

/**
 * The four apps and the embedded launcher, as built under `dist/apps/<app>/src/main.js`, and the storefront
 * as `next start storefront` serves its production build (full mode).
 */
export type TallyApp = 'command-api' | 'query-api' | 'projectors' | 'sagas' | 'embedded' | 'storefront';

/** Base URLs (`http://127.0.0.1:<port>`) of a running Tally, and how to stop it. */
export interface RunningTally {
  /**
   * The storefront (Next.js production build). Embedded mode: always served, by the launcher itself.
   * Full mode: only with `StartOptions.storefront` (else undefined).
   */
  readonly storefront?: string;
  readonly commandApi: string;
  readonly queryApi: string;
  readonly projectors: string;
  readonly sagas: string;
  /** Embedded mode: the PGlite data directory. Full mode: undefined. */
  readonly dataDir?: string;
  /** Full mode: the fresh database every process uses. Embedded mode: undefined. */
  readonly databaseUrl?: string;
  /** Full mode: the NATS server every process uses. Embedded mode: undefined. */
  readonly natsUrl?: string;
  /** Full mode: this run's own NATS_PREFIX (fresh per run). Embedded mode: undefined. */
  readonly natsPrefix?: string;
  /** Everything the processes wrote so far, stdout and stderr interleaved, prefixed by app name. */
  output(): string;
  /** The current process of `app` (in embedded mode there is only `embedded`); throws for any other. */
  process(app: TallyApp): TallyProcess;
  /**
   * Starts `app` again with the environment it had (after a test killed or stopped it) and resolves once
   * its `/readyz` answers 200. A process still running is stopped first.
   */
  restart(app: TallyApp): Promise<void>;
  /**
   * SIGTERM to every process (SIGKILL after a timeout), then removes the temp dir, or deletes the run's
   * JetStream stream and drops the database.
   */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra environment for every process (wins over the harness's defaults). */
  readonly env?: Readonly<Record<string, string>>;
  /** Seed the demo catalog on first start (TALLY_SEED=auto); default false (TALLY_SEED=off). */
  readonly seed?: boolean;
  /** How long to wait for every `/readyz` (and `waitForOutput`); default 60 s. */
  readonly readyTimeoutMs?: number;
  /** Also wait until the combined output matches this (e.g. the embedded banner printed after seeding). */
  readonly waitForOutput?: RegExp;
  /** Embedded mode: reuse this data directory (kept on stop) instead of a fresh temp dir (removed on stop). */
  readonly dataDir?: string;
  /** Full mode: use this database (kept on stop) instead of a fresh one (dropped on stop). */
  readonly databaseUrl?: string;
  /**
   * Full mode: also run the storefront (`next start storefront`, the production build) against the APIs,
   * and wait until it answers. Embedded mode always serves it.
   */
  readonly storefront?: boolean;
  /**
   * Full mode: the NATS server (default `TEST_NATS_URL`, else `nats://127.0.0.1:4222`), e.g. a private one
   * from `startNatsTestServer()` that the test kills and restarts.
   */
  readonly natsUrl?: string;
}

/** The NATS server full-mode runs use unless told otherwise. */
export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** A fresh NATS_PREFIX, so that runs sharing one NATS server never see each other's events or commands. */
export function freshNatsPrefix(): string {
  return uniqueName('t');
}

const STOP_TIMEOUT_MS = 10_000;
const MAX_OUTPUT_CHARS = 2_000_000;

/** The repository root: the nearest ancestor holding the `tally` package.json. */
export function repoRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'tally') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No tally package.json above ${from}`);
    dir = parent;
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not allocate a port'));
      });
    });
  });
}

/** One spawned, built Tally process with its captured output. */
export class TallyProcess {
  private buffer = '';
  private readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;

  constructor(
    readonly app: TallyApp,
    env: Readonly<Record<string, string>>,
    /** Output of an earlier process of the same app (restarts), kept in front of this one's. */
    previousOutput = '',
  ) {
    if (previousOutput) this.buffer = `${previousOutput}\n[harness] ${app} restarted\n`;
    const root = repoRoot();
    this.child = spawn(process.execPath, commandOf(root, app, env), {
      cwd: root,
      // Only what a shell needs: a stray DATABASE_URL or TALLY_* in the test's environment must not leak in.
      env: { ...inherited(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const capture = (chunk: Buffer) => {
      this.buffer += chunk.toString('utf8');
      if (this.buffer.length > MAX_OUTPUT_CHARS) this.buffer = this.buffer.slice(-MAX_OUTPUT_CHARS / 2);
    };
    this.child.stdout?.on('data', capture);
    this.child.stderr?.on('data', capture);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        resolve(code ?? signal ?? 'unknown');
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the process wrote to stdout and stderr so far. */
  output(): string {
    return this.buffer;
  }

  /** Sends `signal` (default SIGKILL: no shutdown hooks run) and resolves once the process has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | string> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. Resolves with the exit code/signal. */
  async stop(timeoutMs = STOP_TIMEOUT_MS): Promise<number | string> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (this.running) {
          this.buffer += `\n[harness] ${this.app} did not stop within ${timeoutMs} ms: SIGKILL\n`;
          this.child.kill('SIGKILL');
        }
        resolve();
      }, timeoutMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return this.exited;
  }
}

/** What `node` runs for `app`: its built main, or Next's CLI serving the storefront's production build. */
function commandOf(root: string, app: TallyApp, env: Readonly<Record<string, string>>): string[] {
  if (app === 'storefront') {
    const dir = join(root, 'storefront');
    if (!existsSync(join(dir, env.NEXT_DIST_DIR ?? '.next', 'BUILD_ID')))
      throw new Error(`${dir} has no production build: run \`npm run build\` first`);
    const port = env.STOREFRONT_PORT ?? '3000';
    const cli = join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
    return [cli, 'start', dir, '--port', port, '--hostname', env.HOST ?? '127.0.0.1'];
  }
  const main = join(root, 'dist', 'apps', app, 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} does not exist: run \`npm run build\` first`);
  return [main];
}

function inherited(): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const value = process.env[key];
    if (value !== undefined) kept[key] = value;
  }
  return kept;
}

/**
 * Spawns one built app (`node dist/apps/<app>/src/main.js`) with exactly `env` (plus PATH). For tests that
 * expect the process to exit (bad configuration) or that manage readiness themselves.
 */
export function spawnTally(
  app: TallyApp,
  env: Readonly<Record<string, string>>,
  previousOutput?: string,
): TallyProcess {
  return new TallyProcess(app, env, previousOutput);
}

/**
 * A URL the harness polls until it is ready: an app's `/readyz` must answer 200; the storefront, which has
 * no readiness route, is ready once it answers at all without a server error (it listens only once Next.js
 * has loaded its build).
 */
type ReadinessProbe = string | { readonly url: string; readonly anyAnswer: true };

/** Resolves when every URL answers 200 (and the output matches `waitFor`), or rejects naming what is missing. */
async function waitUntilReady(
  processes: readonly TallyProcess[],
  probes: readonly ReadinessProbe[],
  timeoutMs: number,
  waitFor: RegExp | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const anyAnswer = new Set(probes.flatMap((probe) => (typeof probe === 'string' ? [] : [probe.url])));
  const pending = new Set(probes.map((probe) => (typeof probe === 'string' ? probe : probe.url)));
  const describe = () =>
    processes.map((p) => `--- ${p.app} (pid ${p.pid ?? '?'}) output ---\n${tail(p.output())}`).join('\n');
  for (;;) {
    const dead = processes.find((p) => !p.running);
    if (dead) {
      const code = await dead.exited;
      throw new Error(`${dead.app} exited (${String(code)}) before it was ready\n${describe()}`);
    }
    await Promise.all(
      [...pending].map(async (url) => {
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
          await response.body?.cancel();
          if (response.status === 200 || (anyAnswer.has(url) && response.status < 500)) pending.delete(url);
        } catch {
          // Not listening yet.
        }
      }),
    );
    const matched = !waitFor || processes.some((p) => waitFor.test(p.output()));
    if (pending.size === 0 && matched) return;
    if (Date.now() > deadline) {
      const missing = [...pending, ...(matched ? [] : [`output matching ${String(waitFor)}`])];
      throw new Error(`Not ready after ${timeoutMs} ms: ${missing.join(', ')}\n${describe()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function tail(text: string, lines = 60): string {
  return text.split('\n').slice(-lines).join('\n');
}

interface Ports {
  commandApi: number;
  queryApi: number;
  projectors: number;
  sagas: number;
  storefront: number;
}

async function allocatePorts(): Promise<Ports> {
  const taken = new Set<number>();
  const next = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  return {
    commandApi: await next(),
    queryApi: await next(),
    projectors: await next(),
    sagas: await next(),
    storefront: await next(),
  };
}

function baseEnv(ports: Ports, options: StartOptions): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    COMMAND_API_PORT: String(ports.commandApi),
    QUERY_API_PORT: String(ports.queryApi),
    PROJECTORS_PORT: String(ports.projectors),
    SAGAS_PORT: String(ports.sagas),
    STOREFRONT_PORT: String(ports.storefront),
    LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
    TALLY_SEED: options.seed ? 'auto' : 'off',
    TALLY_AUTH_SECRET: TEST_AUTH_SECRET,
    ...options.env,
  };
}

function urlsOf(ports: Ports) {
  const url = (port: number) => `http://127.0.0.1:${port}`;
  return {
    commandApi: url(ports.commandApi),
    queryApi: url(ports.queryApi),
    projectors: url(ports.projectors),
    sagas: url(ports.sagas),
  };
}

/** The readiness probes of the four apps' URLs. */
function readyzOf(urls: ReturnType<typeof urlsOf>): ReadinessProbe[] {
  return Object.values(urls).map((url) => `${url}/readyz`);
}

function storefrontProbe(storefront: string): ReadinessProbe {
  return { url: `${storefront}/robots.txt`, anyAnswer: true };
}

async function stopAll(processes: readonly TallyProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => p.stop()));
}

/**
 * Embedded mode: one `dist/apps/embedded` process on PGlite in a fresh temp TALLY_DATA_DIR, on random free
 * ports, no DATABASE_URL. Resolves once every app's `/readyz` answers 200 and the storefront it serves
 * answers.
 */
export async function startEmbedded(options: StartOptions = {}): Promise<RunningTally> {
  const ports = await allocatePorts();
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tally-e2e-'));
  const env: Record<string, string> = { ...baseEnv(ports, options), TALLY_DATA_DIR: dataDir };
  const urls = urlsOf(ports);
  const storefront = `http://127.0.0.1:${env.STOREFRONT_PORT ?? ports.storefront}`;
  const probes = [...readyzOf(urls), storefrontProbe(storefront)];
  const cleanup = () => {
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const processes = [spawnTally('embedded', env)];
  try {
    await waitUntilReady(processes, probes, options.readyTimeoutMs ?? 60_000, options.waitForOutput);
  } catch (error) {
    await stopAll(processes);
    cleanup();
    throw error;
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  return {
    ...urls,
    storefront,
    dataDir,
    output: () => processes.map((p) => p.output()).join(''),
    process: (app) => processOf(processes, app),
    async restart(app) {
      const index = indexOf(processes, app);
      await processes[index]?.stop();
      processes[index] = spawnTally(app, env);
      await waitUntilReady(processes, probes, readyTimeoutMs, undefined);
    },
    async stop() {
      await stopAll(processes);
      cleanup();
    },
  };
}

/**
 * Full mode: command-api, query-api, projectors and sagas as four processes on one fresh PostgreSQL
 * database (from {@link createTestDatabase}) and a NATS server under a fresh NATS_PREFIX (so that no run
 * sees another's events or commands), on random free ports; with `storefront: true`, also `next start
 * storefront` pointed at the two APIs. Resolves once every `/readyz` answers 200 (and the storefront answers).
 */
export async function startFull(options: StartOptions = {}): Promise<RunningTally> {
  const ports = await allocatePorts();
  const database = options.databaseUrl ? undefined : await createTestDatabase();
  const databaseUrl = options.databaseUrl ?? database?.url ?? '';
  const natsUrl = options.natsUrl ?? TEST_NATS_URL;
  const natsPrefix = freshNatsPrefix();
  const env = {
    ...baseEnv(ports, options),
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '4',
    NATS_URL: natsUrl,
    NATS_PREFIX: natsPrefix,
    ...options.env,
  };
  const urls = urlsOf(ports);
  const storefront = options.storefront ? `http://127.0.0.1:${ports.storefront}` : undefined;
  // The storefront's server code reaches the APIs through these (the launcher sets them in embedded mode).
  const storefrontEnv = {
    TALLY_COMMAND_API_URL: urls.commandApi,
    TALLY_QUERY_API_URL: urls.queryApi,
    TALLY_PROJECTORS_URL: urls.projectors,
    TALLY_PUBLIC_URL: `http://127.0.0.1:${ports.storefront}`,
    ...env,
  };
  const probeOf: Record<TallyApp, ReadinessProbe> = {
    'command-api': `${urls.commandApi}/readyz`,
    'query-api': `${urls.queryApi}/readyz`,
    projectors: `${urls.projectors}/readyz`,
    sagas: `${urls.sagas}/readyz`,
    embedded: `${urls.commandApi}/readyz`,
    storefront: storefrontProbe(`http://127.0.0.1:${ports.storefront}`),
  };
  const envOf = (app: TallyApp) => (app === 'storefront' ? storefrontEnv : env);
  const apps: TallyApp[] = ['command-api', 'query-api', 'projectors', 'sagas'];
  if (storefront) apps.push('storefront');
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const processes: TallyProcess[] = [];
  const cleanup = async () => {
    await stopAll(processes);
    await deleteEventStream(natsUrl, eventStreamName(natsPrefix));
    await database?.drop();
  };
  try {
    for (const app of apps) processes.push(spawnTally(app, envOf(app)));
    await waitUntilReady(
      processes,
      apps.map((app) => probeOf[app]),
      readyTimeoutMs,
      options.waitForOutput,
    );
  } catch (error) {
    await cleanup();
    throw error;
  }
  return {
    ...urls,
    ...(storefront ? { storefront } : {}),
    databaseUrl,
    natsUrl,
    natsPrefix,
    output: () => processes.map((p) => prefixLines(p.app, p.output())).join('\n'),
    process: (app) => processOf(processes, app),
    async restart(app) {
      const index = indexOf(processes, app);
      const previous = processes[index];
      await previous?.stop();
      // Keep what the previous process wrote: a test that fails after the restart shows both.
      const next = spawnTally(app, envOf(app), previous?.output());
      processes[index] = next;
      await waitUntilReady([next], [probeOf[app]], readyTimeoutMs, undefined);
    },
    stop: cleanup,
  };
}

function indexOf(processes: readonly TallyProcess[], app: TallyApp): number {
  const index = processes.findIndex((p) => p.app === app);
  if (index < 0) throw new Error(`No ${app} process in this run`);
  return index;
}

function processOf(processes: readonly TallyProcess[], app: TallyApp): TallyProcess {
  const found = processes[indexOf(processes, app)];
  if (!found) throw new Error(`No ${app} process in this run`);
  return found;
}

/**
 * Deletes a run's JetStream stream (and with it its consumers), so that runs leave nothing behind on a
 * shared NATS server. A server that is gone (a private one already stopped) has nothing to delete.
 */
async function deleteEventStream(natsUrl: string, stream: string): Promise<void> {
  let nats: NatsConnection;
  try {
    nats = await connect({ servers: natsUrl, timeout: 2000, reconnect: false });
  } catch {
    return;
  }
  try {
    const jsm = await jetstreamManager(nats);
    await jsm.streams.delete(stream);
  } catch (error) {
    const missing = error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
    if (!missing) process.stderr.write(`[harness] could not delete stream ${stream}: ${String(error)}\n`);
  } finally {
    await nats.close();
  }
}

function prefixLines(prefix: string, text: string): string {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => `[${prefix}] ${line}`)
    .join('\n');
}

/** A response as e2e tests inspect it: status, headers and the parsed JSON body (or undefined). */
export interface HttpResponse<Body = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Body;
  readonly text: string;
}

/**
 * One HTTP request against a running Tally. `body` is sent as JSON; a JSON (or problem+json) response is
 * parsed. Never throws on a 4xx/5xx: tests assert on the status.
 */
export async function httpRequest<Body = unknown>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  options: { readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> } = {},
): Promise<HttpResponse<Body>> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  const json =
    (response.headers.get('content-type') ?? '').includes('json') && text
      ? (JSON.parse(text) as Body)
      : undefined;
  return { status: response.status, headers: response.headers, body: json as Body, text };
}
