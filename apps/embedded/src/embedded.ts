import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { MigrationSet } from '@tally/database';
import { InProcessCommandSender, InProcessEventConsumers } from '@tally/messaging';
import { type AppConfig, type Infrastructure, type Logger, openInfrastructure } from '@tally/platform';
import { waitForProjections } from '@tally/read-models';
import {
  commandApiMigrations,
  commandDispatcherOf,
  createCommandApi,
} from '../../command-api/src/command-api.app';
import { createProjectors, projectorsMigrations } from '../../projectors/src/projectors.app';
import { createQueryApi, queryApiMigrations } from '../../query-api/src/query-api.app';
import { createSagas, sagasMigrations } from '../../sagas/src/sagas.app';
import { generateDemoCatalog } from './seed/demo-catalog';
import { ProgressBar } from './seed/progress';
import { seedDemoCatalog } from './seed/seed-demo-catalog';

/** One app of the four, as the launcher runs it. */
interface HostedApp {
  readonly name: 'command-api' | 'query-api' | 'projectors' | 'sagas';
  readonly portVariable: 'COMMAND_API_PORT' | 'QUERY_API_PORT' | 'PROJECTORS_PORT' | 'SAGAS_PORT';
  readonly create: (infrastructure: Infrastructure, bus: InProcessBus) => Promise<INestApplication>;
}

/**
 * What replaces NATS in one process (DESIGN.md §8): the process managers read the event store directly
 * (in-process consumers) and hand their commands to command-api's dispatcher (in-process sender).
 */
interface InProcessBus {
  readonly commands: InProcessCommandSender;
}

// Projectors first, so read models follow from the first command; command-api before sagas, which sends
// it commands.
const APPS: readonly HostedApp[] = [
  // No relay: nothing in this process reads NATS.
  {
    name: 'projectors',
    portVariable: 'PROJECTORS_PORT',
    create: (infra) => createProjectors(infra, { relay: false }),
  },
  { name: 'query-api', portVariable: 'QUERY_API_PORT', create: createQueryApi },
  {
    name: 'command-api',
    portVariable: 'COMMAND_API_PORT',
    create: async (infra, bus) => {
      const app = await createCommandApi(infra);
      bus.commands.register(commandDispatcherOf(app));
      return app;
    },
  },
  {
    name: 'sagas',
    portVariable: 'SAGAS_PORT',
    create: (infra, bus) =>
      createSagas(infra, {
        consumers: (registry) =>
          new InProcessEventConsumers({
            store: infra.eventStore,
            sql: infra.sql,
            logger: infra.logger.child({ app: 'sagas', component: 'consumers' }),
            registry,
          }),
        commands: bus.commands,
      }),
  },
];

/** Every app's migrations, each module once. */
export function allMigrations(): MigrationSet[] {
  const byModule = new Map<string, MigrationSet>();
  for (const set of [
    ...commandApiMigrations,
    ...queryApiMigrations,
    ...projectorsMigrations,
    ...sagasMigrations,
  ])
    byModule.set(set.module, set);
  return [...byModule.values()];
}

/** A running Tally: every app in this process on one shared infrastructure. */
export interface EmbeddedTally {
  /** Each app's base URL, and the storefront's when this process serves it. */
  readonly urls: Readonly<Record<HostedApp['name'], string> & { storefront?: string }>;
  readonly infrastructure: Infrastructure;
  /**
   * Closes the storefront (so no shopper's request reaches an app that is stopping), then the apps (sagas
   * and command-api first, so no write arrives while the rest stops), then the database.
   */
  close(): Promise<void>;
}

/**
 * Where `npm start` serves the storefront from: `<repo>/storefront`, found from this file both as source
 * (`apps/embedded/src`) and as built (`dist/apps/embedded/src`).
 */
export function storefrontDir(from: string = __dirname): string {
  const built = resolve(from, '../../../../storefront');
  return existsSync(join(built, 'package.json')) || existsSync(join(built, 'next.config.ts'))
    ? built
    : resolve(from, '../../../storefront');
}

/** The storefront's production build is missing: `npm run build` (or `next build storefront`) makes it. */
export class StorefrontBuildMissing extends Error {
  constructor(readonly dir: string) {
    super(
      `The storefront has no production build in ${dir}: run \`npm run build\` ` +
        '(or `NEXT_TELEMETRY_DISABLED=1 npx next build storefront`) first',
    );
    this.name = 'StorefrontBuildMissing';
  }
}

/**
 * TALLY_PUBLIC_URL, when the operator did not set it, is where this process serves the storefront: the
 * links in emails (password reset) then open the storefront actually running, whatever STOREFRONT_PORT is.
 */
export function withEmbeddedDefaults(config: AppConfig, env: NodeJS.ProcessEnv = process.env): AppConfig {
  if (env.TALLY_PUBLIC_URL) return config;
  return { ...config, TALLY_PUBLIC_URL: `http://${displayHost(config.HOST)}:${config.STOREFRONT_PORT}` };
}

export interface StartEmbeddedOptions {
  /**
   * Also serve the storefront's production build on STOREFRONT_PORT (what `npm start` does). Off by
   * default: tests that run the apps in their own process need no browser pages and no Next.js build.
   */
  readonly storefront?: boolean;
}

/**
 * Starts command-api, query-api, projectors and sagas in this process on one infrastructure: PGlite under
 * TALLY_DATA_DIR, or PostgreSQL when DATABASE_URL is set, and, when asked, the storefront. The one place
 * allowed to import every app (docs/adr/0001-embedded-composition-root.md).
 */
export async function startEmbedded(
  config: AppConfig,
  logger: Logger,
  options: StartEmbeddedOptions = {},
): Promise<EmbeddedTally> {
  // Before anything opens: a missing build is a setup mistake, reported at once.
  const storefrontBuild = options.storefront ? locateStorefrontBuild() : undefined;
  const infrastructure = await openInfrastructure(config, logger, {
    migrations: allMigrations(),
    applicationName: 'tally-embedded',
  });
  const started: { app: HostedApp; nest: INestApplication }[] = [];
  const bus: InProcessBus = { commands: new InProcessCommandSender() };
  let storefront: HostedStorefront | undefined;
  const close = async () => {
    // A storefront that fails to close must not keep the apps and the database open.
    await storefront?.close().catch((error: unknown) => {
      logger.error({ err: error }, 'storefront did not close cleanly');
    });
    // Sagas first (it writes through command-api), then command-api, so no write arrives while the rest stops.
    const order = ['sagas', 'command-api', 'query-api', 'projectors'];
    const byOrder = [...started].sort((a, b) => order.indexOf(a.app.name) - order.indexOf(b.app.name));
    for (const { nest } of byOrder) await nest.close();
    await infrastructure.close();
  };
  try {
    for (const app of APPS) {
      const nest = await app.create(infrastructure, bus);
      started.push({ app, nest });
      const port = config[app.portVariable];
      await nest.listen(port, config.HOST).catch((error: unknown) => {
        if ((error as { code?: unknown }).code === 'EADDRINUSE')
          throw new Error(
            `${app.portVariable}: port ${port} is already in use (set ${app.portVariable} to another port)`,
            {
              cause: error,
            },
          );
        throw error;
      });
    }
    if (storefrontBuild) storefront = await startStorefront(storefrontBuild, config, infrastructure, logger);
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  const host = displayHost(config.HOST);
  const url = (port: number) => `http://${host}:${port}`;
  return {
    infrastructure,
    urls: {
      ...(storefront ? { storefront: url(config.STOREFRONT_PORT) } : {}),
      'command-api': url(config.COMMAND_API_PORT),
      'query-api': url(config.QUERY_API_PORT),
      projectors: url(config.PROJECTORS_PORT),
      sagas: url(config.SAGAS_PORT),
    },
    close,
  };
}

/**
 * The storefront's directory, once its production build is known to be there (Next's `distDir`:
 * NEXT_DIST_DIR, default `.next`); throws {@link StorefrontBuildMissing} otherwise.
 */
function locateStorefrontBuild(): string {
  const dir = storefrontDir();
  const distDir = join(dir, process.env.NEXT_DIST_DIR ?? '.next');
  if (!existsSync(join(distDir, 'BUILD_ID'))) throw new StorefrontBuildMissing(distDir);
  return dir;
}

/** The storefront as this process serves it. */
interface HostedStorefront {
  close(): Promise<void>;
}

/** The part of Next.js's programmatic server (`next(options)`, its "custom server") used here. */
type CreateNextServer = (options: {
  dev: boolean;
  dir: string;
  quiet: boolean;
  hostname: string;
  port: number;
  httpServer: Server;
}) => {
  prepare(): Promise<void>;
  getRequestHandler(): (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  close(): Promise<void>;
};

/**
 * Loads Next.js only when the storefront starts (the four apps never need it, and it is heavy), through a
 * specifier the type checker does not follow: Next's type declarations change Node's global types (e.g.
 * `process.env.NODE_ENV` becomes required) for every file of the backend.
 */
async function loadNext(): Promise<CreateNextServer> {
  const specifier = 'next';
  const loaded = (await import(specifier)) as { default: CreateNextServer };
  return loaded.default;
}

/**
 * Serves the storefront's production build (Next.js, `dev: false`) in this process on
 * HOST:STOREFRONT_PORT. Its server code reads its settings from `process.env` (it also runs on its own in
 * full mode, `npm run start:storefront`), so they are set first to what this process actually serves: the
 * API URLs, an absolute data directory (the dev mailbox), the public URL and the auth secret.
 */
async function startStorefront(
  dir: string,
  config: AppConfig,
  infrastructure: Infrastructure,
  logger: Logger,
): Promise<HostedStorefront> {
  const internal = internalHost(config.HOST);
  Object.assign(process.env, {
    TALLY_COMMAND_API_URL: `http://${internal}:${config.COMMAND_API_PORT}`,
    TALLY_QUERY_API_URL: `http://${internal}:${config.QUERY_API_PORT}`,
    TALLY_PROJECTORS_URL: `http://${internal}:${config.PROJECTORS_PORT}`,
    TALLY_DATA_DIR: resolve(config.TALLY_DATA_DIR),
    TALLY_PUBLIC_URL: config.TALLY_PUBLIC_URL,
    TALLY_MAIL_SENDER: config.TALLY_MAIL_SENDER,
    TALLY_AUTH_SECRET: infrastructure.authSecret,
  });
  const next = await loadNext();
  const server = createServer();
  const app = next({
    dev: false,
    dir,
    quiet: true,
    hostname: config.HOST,
    port: config.STOREFRONT_PORT,
    httpServer: server,
  });
  await app.prepare();
  const handle = app.getRequestHandler();
  server.on('request', (request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error({ err: error, url: request.url }, 'storefront request failed');
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('Internal Server Error');
    });
  });
  await listen(server, config.STOREFRONT_PORT, config.HOST, 'STOREFRONT_PORT').catch(
    async (error: unknown) => {
      await app.close().catch(() => undefined);
      throw error;
    },
  );
  return {
    async close() {
      const closed = new Promise<void>((done) => {
        server.close(() => {
          done();
        });
      });
      // Open order pages hold a live stream (server-sent events) and browsers keep connections alive:
      // without this, close() would wait for every shopper to leave.
      server.closeAllConnections();
      await closed;
      await app.close();
    },
  };
}

function listen(server: Server, port: number, host: string, variable: string): Promise<void> {
  return new Promise((resolveListen, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`${variable}: port ${port} is already in use (set ${variable} to another port)`, {
              cause: error,
            })
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolveListen();
    });
  });
}

/** How code in this process reaches a server bound to `host`: a wildcard bind answers on loopback. */
function internalHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Seeds the demo catalog through command-api when TALLY_SEED=auto and no product was ever created, then
 * waits until the catalog and stock read models show all of it. Returns the number of products seeded.
 */
export async function seedIfEmpty(tally: EmbeddedTally, config: AppConfig, logger: Logger): Promise<number> {
  if (config.TALLY_SEED === 'off') return 0;
  const { events } = await tally.infrastructure.eventStore.readAll({ types: ['ProductCreated'], limit: 1 });
  if (events.length > 0) return 0;
  const products = generateDemoCatalog();
  const started = Date.now();
  const progress = new ProgressBar(process.stderr, 'Seeding demo catalog', products.length);
  const result = await seedDemoCatalog({
    commandApiUrl: tally.urls['command-api'],
    products,
    progress,
    // The seed acts as an admin, with a token the apps verify with this secret.
    authSecret: tally.infrastructure.authSecret,
  });
  const caughtUp = await waitForProjections(tally.infrastructure.sql, ['catalog', 'stock'], result.token, {
    timeoutMs: 120_000,
  });
  if (!caughtUp)
    logger.warn({ token: result.token }, 'read models are still catching up with the demo catalog');
  logger.info({ ...result, ms: Date.now() - started }, 'demo catalog seeded');
  process.stderr.write(
    `Seeded ${result.products} products (${result.requests} commands) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return result.products;
}

/** What `npm start` prints once Tally is ready. */
export function banner(tally: EmbeddedTally, config: AppConfig): string {
  const { urls } = tally;
  const where =
    config.mode === 'embedded' ? `embedded PGlite in ${config.TALLY_DATA_DIR}` : 'PostgreSQL (DATABASE_URL)';
  return [
    '',
    `Tally is running on ${where}`,
    ...(urls.storefront
      ? [`  storefront   ${urls.storefront}`, `  admin        ${urls.storefront}/admin${adminHint(config)}`]
      : []),
    `  command-api  ${urls['command-api']}/api/v1   docs: ${urls['command-api']}/api/docs`,
    `  query-api    ${urls['query-api']}/api/v1   docs: ${urls['query-api']}/api/docs`,
    `  projectors   ${urls.projectors}/api/v1/projections`,
    `  sagas        ${urls.sagas}/api/v1/process-managers`,
    `  warehouse    SQL schema ${config.TALLY_WAREHOUSE_SCHEMA} in ${config.WAREHOUSE_URL ? 'WAREHOUSE_URL' : 'the same database'} (docs/warehouse.md)`,
    `  every app    /healthz  /readyz  /metrics`,
    `Try: curl -s '${urls['query-api']}/api/v1/products?q=lamp&pageSize=3'`,
    'Stop with Ctrl+C.',
    '',
  ].join('\n');
}

/** Where the first admin's generated password is kept (embedded mode, when command-api created one). */
function adminHint(config: AppConfig): string {
  if (config.mode !== 'embedded' || config.TALLY_ADMIN_EMAIL) return '';
  const file = resolve(config.TALLY_DATA_DIR, 'admin-credentials.txt');
  return existsSync(file) ? `   sign in with the credentials in ${file}` : '';
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
