import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { MigrationSet } from '@tally/database';
import { createHttpApp, type Infrastructure } from '@tally/platform';
import { projectionCheckpoints, readModelMigrations } from '@tally/read-models';
import { Gauge } from 'prom-client';
import { ProjectionsController } from './projections.controller';
import { ProjectorsLifecycle } from './projectors.lifecycle';
import { RunningProjections } from './running-projections';

/** The projectors own the read-model tables and their checkpoints. */
export const projectorsMigrations: readonly MigrationSet[] = [readModelMigrations];

/**
 * Event store -> read models (DESIGN.md §6). Runs every projection in `allProjections` from its stored
 * checkpoint; `/readyz` fails while any is not subscribed; `/metrics` carries per-projection lag and
 * poison counts; `GET /api/v1/projections` lists them.
 */
export async function createProjectors(infrastructure: Infrastructure): Promise<NestFastifyApplication> {
  const projections = new RunningProjections(infrastructure);

  @Module({
    controllers: [ProjectionsController],
    providers: [{ provide: RunningProjections, useValue: projections }, ProjectorsLifecycle],
  })
  class ProjectorsModule {}

  return createHttpApp({
    name: 'projectors',
    infrastructure,
    imports: [ProjectorsModule],
    readinessChecks: [projections.readiness],
    registerMetrics: (registry) => {
      projections.attach(registry);
      // The runner's poison counter counts this process's finds; this gauge is every one ever recorded.
      const stored = new Gauge({
        name: 'tally_projection_poison_events_recorded',
        help: 'Poison events recorded in projection_poison_events, by projection (all time).',
        labelNames: ['projection'],
        registers: [registry],
        async collect() {
          const rows = await projectionCheckpoints(infrastructure.sql).catch(() => undefined);
          for (const row of rows ?? []) stored.set({ projection: row.name }, row.poisonEvents);
        },
      });
    },
  });
}
