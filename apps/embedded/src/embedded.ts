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
  readonly urls: Readonly<Record<HostedApp['name'], string>>;
  readonly infrastructure: Infrastructure;
  /** Closes the apps (sagas and command-api first, so no write arrives while the rest stops), then the database. */
  close(): Promise<void>;
}

/**
 * Starts command-api, query-api, projectors and sagas in this process on one infrastructure: PGlite under
 * TALLY_DATA_DIR, or PostgreSQL when DATABASE_URL is set. The one place allowed to import every app
 * (docs/adr/0001-embedded-composition-root.md).
 */
export async function startEmbedded(config: AppConfig, logger: Logger): Promise<EmbeddedTally> {
  const infrastructure = await openInfrastructure(config, logger, {
    migrations: allMigrations(),
    applicationName: 'tally-embedded',
  });
  const started: { app: HostedApp; nest: INestApplication }[] = [];
  const bus: InProcessBus = { commands: new InProcessCommandSender() };
  const close = async () => {
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
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  const host = displayHost(config.HOST);
  const url = (port: number) => `http://${host}:${port}`;
  return {
    infrastructure,
    urls: {
      'command-api': url(config.COMMAND_API_PORT),
      'query-api': url(config.QUERY_API_PORT),
      projectors: url(config.PROJECTORS_PORT),
      sagas: url(config.SAGAS_PORT),
    },
    close,
  };
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
  const result = await seedDemoCatalog({ commandApiUrl: tally.urls['command-api'], products, progress });
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
    `  command-api  ${urls['command-api']}/api/v1   docs: ${urls['command-api']}/api/docs`,
    `  query-api    ${urls['query-api']}/api/v1   docs: ${urls['query-api']}/api/docs`,
    `  projectors   ${urls.projectors}/api/v1/projections`,
    `  sagas        ${urls.sagas}/api/v1/process-managers`,
    `  every app    /healthz  /readyz  /metrics`,
    `Try: curl -s '${urls['query-api']}/api/v1/products?q=lamp&pageSize=3'`,
    'Stop with Ctrl+C.',
    '',
  ].join('\n');
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
