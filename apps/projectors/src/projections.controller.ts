import { Controller, Get, Inject } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import { METRICS_REGISTRY, Roles, SQL_CLIENT } from '@tally/platform';
import { projectionCheckpoints } from '@tally/read-models';
import type { Registry } from 'prom-client';
import { RunningProjections } from './running-projections';

/** One projection as operators see it. */
export interface ProjectionInfo {
  readonly name: string;
  readonly eventTypes: readonly string[];
  /** This process's runner: `running`, `retrying` (after an infrastructure failure), `idle`, `stopped`. */
  readonly state: string;
  readonly checkpoint: string;
  readonly eventsProcessed: number;
  readonly poisonEvents: number;
  /** Events of the projection's types after its checkpoint (up to the runner's scan limit), and the age of the oldest. */
  readonly lag: { readonly events: number; readonly seconds: number };
  readonly updatedAt: string | null;
  readonly lastError?: string;
}

@Controller('api/v1/projections')
@Roles('admin')
export class ProjectionsController {
  constructor(
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(RunningProjections) private readonly projections: RunningProjections,
  ) {}

  @Get()
  async list(): Promise<{ items: ProjectionInfo[] }> {
    const stored = new Map((await projectionCheckpoints(this.sql)).map((row) => [row.name, row]));
    const status = new Map(this.projections.status().map((row) => [row.name, row]));
    // The runner measures lag for its gauges; reading them here keeps one definition of lag.
    const lagEvents = await this.gauge('tally_projection_lag_events');
    const lagSeconds = await this.gauge('tally_projection_lag_seconds');
    return {
      items: this.projections.projections.map(({ name, eventTypes }) => {
        const row = stored.get(name);
        const running = status.get(name);
        return {
          name,
          eventTypes,
          state: running?.state ?? 'stopped',
          checkpoint: row?.checkpoint ?? '',
          eventsProcessed: row?.eventsProcessed ?? 0,
          poisonEvents: row?.poisonEvents ?? 0,
          lag: { events: lagEvents.get(name) ?? 0, seconds: lagSeconds.get(name) ?? 0 },
          updatedAt: row ? row.updatedAt.toISOString() : null,
          ...(running?.lastError === undefined ? {} : { lastError: running.lastError }),
        };
      }),
    };
  }

  private async gauge(name: string): Promise<Map<string, number>> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return new Map();
    const { values } = await metric.get();
    return new Map(values.map((value) => [String(value.labels.projection), value.value]));
  }
}
