import {
  type BeforeApplicationShutdown,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
} from '@nestjs/common';
import type { EventStore } from '@tally/event-store';
import { EVENT_STORE, HttpProblem, LOGGER, type Logger, METRICS_REGISTRY, Roles } from '@tally/platform';
import {
  type Projection,
  type ProjectionCheckpointStatus,
  projectionCheckpoints,
  projectionRebuilds,
  RebuildInProgressError,
  type VerifyReport,
  verifyProjection,
} from '@tally/read-models';
import type { Registry } from 'prom-client';
import { RebuildJobs } from './rebuild-jobs';
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

/** A projection's latest blue/green rebuild, as `GET /api/v1/projections/{name}` shows it. */
export interface RebuildInfo {
  /** `running` also after a crash: starting a rebuild again resumes it (see `inThisProcess`). */
  readonly state: 'running' | 'switched' | 'failed';
  /** True while this process is running it. */
  readonly inThisProcess: boolean;
  readonly schema: string;
  readonly checkpoint: string;
  readonly eventsProcessed: number;
  readonly totalEstimate: number | null;
  /** Of the rebuild running in this process, from its latest batch. */
  readonly eventsPerSecond?: number;
  readonly etaSeconds?: number;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
}

/**
 * Operators' view of the projections: list and status, and a blue/green rebuild (run in the background
 * by this process) or a verification against the events, per projection. Each projection is read,
 * rebuilt and verified in the database its tables are in (the warehouse may have its own).
 */
@Controller('api/v1/projections')
@Roles('admin')
export class ProjectionsController implements BeforeApplicationShutdown {
  private readonly jobs: RebuildJobs;

  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(RunningProjections) private readonly projections: RunningProjections,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.jobs = new RebuildJobs(store, logger);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.jobs.stop();
  }

  @Get()
  async list(): Promise<{ items: ProjectionInfo[] }> {
    return { items: await this.infos() };
  }

  @Get(':name')
  async status(@Param('name') name: string): Promise<ProjectionInfo & { rebuild: RebuildInfo | null }> {
    this.projection(name);
    const info = (await this.infos()).find((item) => item.name === name);
    if (!info) throw projectionNotFound(name, []);
    const row = (await projectionRebuilds(this.projections.sqlOf(name))).find((item) => item.name === name);
    const job = this.jobs.running(name);
    const progress = job?.progress;
    return {
      ...info,
      rebuild: row
        ? {
            state: row.state,
            inThisProcess: job !== undefined,
            schema: row.schema,
            checkpoint: row.checkpoint,
            eventsProcessed: row.eventsProcessed,
            totalEstimate: row.totalEstimate,
            ...(progress ? { eventsPerSecond: Math.round(progress.eventsPerSecond) } : {}),
            ...(progress?.etaSeconds === undefined ? {} : { etaSeconds: Math.ceil(progress.etaSeconds) }),
            startedAt: row.startedAt.toISOString(),
            updatedAt: row.updatedAt.toISOString(),
            finishedAt: row.finishedAt ? row.finishedAt.toISOString() : null,
            error: row.error,
          }
        : null,
    };
  }

  /** 202: the rebuild runs in the background; follow it with `GET /api/v1/projections/{name}`. */
  @Post(':name/rebuild')
  @HttpCode(202)
  rebuild(@Param('name') name: string): { projection: string; state: 'running'; status: string } {
    const job = this.jobs.start(this.projection(name), this.projections.sqlOf(name));
    if (!job) throw rebuildRunning(name, 'rebuild');
    return { projection: name, state: 'running', status: `/api/v1/projections/${encodeURIComponent(name)}` };
  }

  /** Rebuilds into a scratch copy and compares it with the live tables; 200 with the differences. */
  @Post(':name/verify')
  @HttpCode(200)
  async verify(@Param('name') name: string): Promise<VerifyReport> {
    const projection = this.projection(name);
    try {
      return await verifyProjection({ sql: this.projections.sqlOf(name), store: this.store, projection });
    } catch (error) {
      if (error instanceof RebuildInProgressError) throw rebuildRunning(name, 'verify');
      throw error;
    }
  }

  private projection(name: string): Projection {
    const projection = this.projections.projections.find((candidate) => candidate.name === name);
    if (projection) return projection;
    throw projectionNotFound(
      name,
      this.projections.projections.map((p) => p.name),
    );
  }

  private async infos(): Promise<ProjectionInfo[]> {
    const stored = await this.storedCheckpoints();
    const status = new Map(this.projections.status().map((row) => [row.name, row]));
    // The runner measures lag for its gauges; reading them here keeps one definition of lag.
    const lagEvents = await this.gauge('tally_projection_lag_events');
    const lagSeconds = await this.gauge('tally_projection_lag_seconds');
    return this.projections.projections.map(({ name, eventTypes }) => {
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
    });
  }

  /** Each projection's stored checkpoint, from the database its runner writes it to. */
  private async storedCheckpoints(): Promise<Map<string, ProjectionCheckpointStatus>> {
    const stored = new Map<string, ProjectionCheckpointStatus>();
    for (const group of this.projections.groups) {
      const names = new Set(group.projections.map((p) => p.name));
      for (const row of await projectionCheckpoints(group.sql))
        if (names.has(row.name)) stored.set(row.name, row);
    }
    return stored;
  }

  private async gauge(name: string): Promise<Map<string, number>> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return new Map();
    const { values } = await metric.get();
    return new Map(values.map((value) => [String(value.labels.projection), value.value]));
  }
}

function rebuildRunning(name: string, kind: 'rebuild' | 'verify'): HttpProblem {
  return new HttpProblem(
    409,
    kind === 'rebuild' ? 'PROJECTION_REBUILD_RUNNING' : 'PROJECTION_VERIFY_RUNNING',
    'Conflict',
    `A ${kind} of projection '${name}' is already running.`,
  );
}

function projectionNotFound(name: string, known: readonly string[]): HttpProblem {
  const names = known.join(', ');
  return new HttpProblem(
    404,
    'PROJECTION_NOT_FOUND',
    'Not found',
    `No projection '${name}' (known: ${names}).`,
    [{ field: 'path.name', message: `is not a projection: one of ${names}` }],
  );
}
