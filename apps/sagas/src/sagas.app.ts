import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { MigrationSet } from '@tally/database';
import { createHttpApp, type Infrastructure } from '@tally/platform';
import { Gauge } from 'prom-client';
import { ProcessManagersController, registeredProcessManagers } from './process-managers.controller';

/** The sagas app owns no tables yet: process-manager state will live in its own event streams. */
export const sagasMigrations: readonly MigrationSet[] = [];

@Module({ controllers: [ProcessManagersController] })
class SagasModule {}

/**
 * The process-manager host (DESIGN.md §7). No process manager is registered yet: checkout and payment
 * timeouts arrive with the checkout issue. Until then it serves health, readiness, metrics and an honest
 * `GET /api/v1/process-managers` that lists none.
 */
export async function createSagas(infrastructure: Infrastructure): Promise<NestFastifyApplication> {
  const app = await createHttpApp({
    name: 'sagas',
    infrastructure,
    imports: [SagasModule],
    registerMetrics: (registry) => {
      new Gauge({
        name: 'tally_process_managers_registered',
        help: 'Process managers this sagas app runs',
        registers: [registry],
        collect() {
          this.set(registeredProcessManagers.length);
        },
      });
    },
  });
  infrastructure.logger.info(
    { processManagers: registeredProcessManagers.length },
    'sagas: no process managers are registered yet',
  );
  return app;
}
