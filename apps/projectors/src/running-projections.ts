import type { SqlClient } from '@tally/database';
import type { Infrastructure, ReadinessCheck } from '@tally/platform';
import {
  allProjections,
  type Projection,
  ProjectionRunner,
  type ProjectionRunnerStatus,
} from '@tally/read-models';
import { Registry } from 'prom-client';
import { mergeMetrics } from './merged-metrics';

/**
 * Projections whose tables and checkpoints live behind one database client: the read models in the main
 * database, the warehouse in its own schema or database. Each group gets a runner of its own.
 */
export interface ProjectionGroup {
  readonly sql: SqlClient;
  readonly projections: readonly Projection[];
}

/**
 * The projection runners of this process, built once the app's metrics registry exists (their metrics go
 * there), started on application bootstrap and stopped on shutdown by {@link ProjectorsLifecycle}.
 */
export class RunningProjections {
  private runners: ProjectionRunner[] | undefined;
  private started = false;
  readonly groups: readonly ProjectionGroup[];
  /** Every projection of every group, read models first. */
  readonly projections: readonly Projection[];

  constructor(
    private readonly infrastructure: Infrastructure,
    groups: readonly ProjectionGroup[] = [{ sql: infrastructure.sql, projections: allProjections }],
  ) {
    this.groups = groups;
    this.projections = groups.flatMap((group) => group.projections);
  }

  /** The client of the database that holds `projection`'s tables, checkpoint and rebuilds. */
  sqlOf(projection: string): SqlClient {
    const group = this.groups.find((g) => g.projections.some((p) => p.name === projection));
    if (!group) throw new Error(`No projection '${projection}' runs here`);
    return group.sql;
  }

  /** Builds the runners with their metrics in `registry`; called by createHttpApp's `registerMetrics`. */
  attach(registry: Registry): void {
    // A runner's metric names are fixed: each runner records into a registry of its own, served merged.
    const registries = this.groups.map(() => new Registry());
    this.runners = this.groups.map(
      (group, index) =>
        new ProjectionRunner({
          sql: group.sql,
          store: this.infrastructure.eventStore,
          projections: group.projections,
          logger: this.infrastructure.logger.child({ component: 'projection-runner' }),
          registry: registries[index],
        }),
    );
    mergeMetrics(registry, registries);
  }

  async start(): Promise<void> {
    await Promise.all(this.required().map((runner) => runner.start()));
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await Promise.all(this.required().map((runner) => runner.stop()));
  }

  status(): ProjectionRunnerStatus[] {
    return (this.runners ?? []).flatMap((runner) => runner.status());
  }

  /** `/readyz` fails while the runners are not started or any projection is not subscribed. */
  readonly readiness: ReadinessCheck = {
    name: 'projections',
    check: () => {
      if (!this.started) return Promise.reject(new Error('projection runner is not running'));
      const down = this.status().filter((projection) => projection.state !== 'running');
      if (down.length > 0) {
        const detail = down
          .map((p) => `${p.name} ${p.state}${p.lastError ? ` (${p.lastError})` : ''}`)
          .join('; ');
        return Promise.reject(new Error(detail));
      }
      return Promise.resolve();
    },
  };

  private required(): ProjectionRunner[] {
    if (!this.runners) throw new Error('RunningProjections.attach was not called');
    return this.runners;
  }
}
