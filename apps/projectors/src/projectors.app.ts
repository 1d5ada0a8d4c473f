import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auditMigrations } from '@tally/audit';
import type { MigrationSet } from '@tally/database';
import { messagingMigrations } from '@tally/messaging';
import { createHttpApp, type Infrastructure, type ReadinessCheck } from '@tally/platform';
import { allProjections, projectionCheckpoints, readModelMigrations } from '@tally/read-models';
import { Gauge } from 'prom-client';
import { AuditController } from './audit/audit.controller';
import { AuditLifecycle } from './audit/audit.lifecycle';
import { AuditScheduler } from './audit/audit-scheduler';
import { RunningRelay } from './event-relay';
import { ProjectionsController } from './projections.controller';
import { ProjectorsLifecycle } from './projectors.lifecycle';
import { RunningProjections } from './running-projections';
import { RunningWarehouse, WarehouseLifecycle } from './warehouse/running-warehouse';

/**
 * The projectors own the read-model tables and their checkpoints, the relay's checkpoint, and sign and
 * verify the log (the audit tables). The warehouse migrates itself when opened (it may be in another
 * database).
 */
export const projectorsMigrations: readonly MigrationSet[] = [
  readModelMigrations,
  messagingMigrations,
  auditMigrations,
];

export interface ProjectorsOptions {
  /**
   * Run the store -> NATS JetStream relay. Default: when NATS_URL is set. The embedded launcher passes
   * false: its process managers read the store directly, with no NATS.
   */
  readonly relay?: boolean;
}

/** Starts the relay with the app and stops it (after the publish in flight) before the app closes. */
@Injectable()
class RelayLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(RunningRelay) private readonly relay: RunningRelay) {}

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.relay.stop();
  }
}

/**
 * Event store -> read models (DESIGN.md §6) and the analysts' warehouse (docs/warehouse.md). Runs every
 * projection in `allProjections` from its stored checkpoint, and the warehouse projection over the
 * warehouse's own client, which it opens (and migrates) first; sweeps abandoned carts into the warehouse
 * every minute. `/readyz` fails while any projection is not subscribed; `/metrics` carries per-projection
 * lag and poison counts; `GET /api/v1/projections` lists them. With NATS_URL set it also relays every
 * committed event to NATS JetStream for the process managers (DESIGN.md §7), with `tally_relay_*` metrics
 * and a `relay` readiness check.
 */
export async function createProjectors(
  infrastructure: Infrastructure,
  options: ProjectorsOptions = {},
): Promise<NestFastifyApplication> {
  const warehouse = await RunningWarehouse.open(infrastructure);
  try {
    return await createProjectorsApp(infrastructure, warehouse, options);
  } catch (error) {
    await warehouse.handle.close().catch(() => undefined);
    throw error;
  }
}

async function createProjectorsApp(
  infrastructure: Infrastructure,
  warehouse: RunningWarehouse,
  options: ProjectorsOptions,
): Promise<NestFastifyApplication> {
  const projections = new RunningProjections(infrastructure, [
    { sql: infrastructure.sql, projections: allProjections },
    warehouse.group,
  ]);
  const natsUrl = infrastructure.config.NATS_URL;
  const relay =
    options.relay !== false && natsUrl !== undefined ? new RunningRelay(infrastructure, natsUrl) : undefined;
  const audit = new AuditScheduler(infrastructure);
  const readinessChecks: ReadinessCheck[] = [projections.readiness];
  if (relay) readinessChecks.push(relay.readiness);

  @Module({
    controllers: [ProjectionsController, AuditController],
    providers: [
      { provide: RunningProjections, useValue: projections },
      ProjectorsLifecycle,
      { provide: AuditScheduler, useValue: audit },
      AuditLifecycle,
      { provide: RunningWarehouse, useValue: warehouse },
      WarehouseLifecycle,
      ...(relay ? [{ provide: RunningRelay, useValue: relay }, RelayLifecycle] : []),
    ],
  })
  class ProjectorsModule {}

  return createHttpApp({
    name: 'projectors',
    infrastructure,
    imports: [ProjectorsModule],
    readinessChecks,
    registerMetrics: (registry) => {
      projections.attach(registry);
      relay?.attach(registry);
      // The runner's poison counter counts this process's finds; this gauge is every one ever recorded.
      const stored = new Gauge({
        name: 'tally_projection_poison_events_recorded',
        help: 'Poison events recorded in projection_poison_events, by projection (all time).',
        labelNames: ['projection'],
        registers: [registry],
        async collect() {
          for (const group of projections.groups) {
            const rows = await projectionCheckpoints(group.sql).catch(() => undefined);
            for (const row of rows ?? []) stored.set({ projection: row.name }, row.poisonEvents);
          }
        },
      });
    },
  });
}
