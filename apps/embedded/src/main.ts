import { createLogger, loadConfigOrExit, onShutdown } from '@tally/platform';
import { banner, type EmbeddedTally, seedIfEmpty, startEmbedded, withEmbeddedDefaults } from './embedded';

/** `npm start`: all of Tally and the storefront in one process (DESIGN.md §8). */
async function main(): Promise<void> {
  const config = withEmbeddedDefaults(loadConfigOrExit());
  // An interactive launcher: unless LOG_LEVEL is set, the terminal shows the seed's progress and the URLs
  // rather than a JSON line per request (docs/configuration.md).
  const logger = createLogger(process.env.LOG_LEVEL ? config.LOG_LEVEL : 'warn', 'tally');
  let tally: EmbeddedTally | undefined;
  const shutdown = { started: false };
  try {
    tally = await startEmbedded(config, logger, { storefront: true });
    const running = tally;
    onShutdown(logger, async () => {
      shutdown.started = true;
      await running.close();
    });
    await seedIfEmpty(tally, config, logger);
    process.stdout.write(banner(tally, config));
  } catch (error) {
    if (shutdown.started) return; // Interrupted while seeding: the shutdown handler exits.
    logger.fatal({ err: error }, 'Tally failed to start');
    process.stderr.write(`Tally failed to start: ${(error as Error).message}\n`);
    await tally?.close().catch(() => undefined);
    process.exit(1);
  }
}

void main();
