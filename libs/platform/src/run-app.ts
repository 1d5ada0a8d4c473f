import type { INestApplication } from '@nestjs/common';
import type { MigrationSet } from '@tally/database';
import { type AppConfig, ConfigError, loadConfig } from './config/config';
import { type Infrastructure, openInfrastructure } from './infrastructure';
import { createLogger, type Logger } from './logging/logger';

export interface StandaloneApp {
  /** `command-api`, `query-api`, `projectors`, `sagas`. */
  readonly name: string;
  readonly port: (config: AppConfig) => number;
  readonly migrations: readonly MigrationSet[];
  readonly create: (infrastructure: Infrastructure) => Promise<INestApplication>;
}

/**
 * Loads config (exiting with a message naming every bad variable), opens the infrastructure, starts the
 * app and shuts it down cleanly on SIGINT/SIGTERM. Used by each app's own `main.ts`.
 */
export async function runStandalone(app: StandaloneApp): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, app.name);
  try {
    const infrastructure = await openInfrastructure(config, logger, {
      migrations: app.migrations,
      applicationName: app.name,
    });
    const nest = await app.create(infrastructure);
    const port = app.port(config);
    await nest.listen(port, config.HOST);
    logger.info({ url: `http://${config.HOST}:${port}` }, `${app.name} listening`);
    onShutdown(logger, async () => {
      await nest.close();
      await infrastructure.close();
    });
  } catch (error) {
    logger.fatal({ err: error }, `${app.name} failed to start`);
    process.exit(1);
  }
}

/** Validates the environment; on failure prints each problem and exits with status 78 (EX_CONFIG). */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

/** Runs `close` once on SIGINT/SIGTERM, then exits. */
export function onShutdown(logger: Logger, close: () => Promise<void>): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => {
    shutdown('SIGINT');
  });
  process.once('SIGTERM', () => {
    shutdown('SIGTERM');
  });
}
