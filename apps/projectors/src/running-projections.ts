import type { Infrastructure, ReadinessCheck } from '@tally/platform';
import {
  allProjections,
  type Projection,
  ProjectionRunner,
  type ProjectionRunnerStatus,
} from '@tally/read-models';
import type { Registry } from 'prom-client';

/**
 * The projection runner of this process, built once the app's metrics registry exists (its metrics go
 * there), started on application bootstrap and stopped on shutdown by {@link ProjectorsLifecycle}.
 */
export class RunningProjections {
  private runner: ProjectionRunner | undefined;
  private started = false;

  constructor(
    private readonly infrastructure: Infrastructure,
    readonly projections: readonly Projection[] = allProjections,
  ) {}

  /** Builds the runner with its metrics in `registry`; called by createHttpApp's `registerMetrics`. */
  attach(registry: Registry): void {
    this.runner = new ProjectionRunner({
      sql: this.infrastructure.sql,
      store: this.infrastructure.eventStore,
      projections: this.projections,
      logger: this.infrastructure.logger.child({ component: 'projection-runner' }),
      registry,
    });
  }

  async start(): Promise<void> {
    await this.required().start();
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.required().stop();
  }

  status(): ProjectionRunnerStatus[] {
    return this.runner?.status() ?? [];
  }

  /** `/readyz` fails while the runner is not started or any projection is not subscribed. */
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

  private required(): ProjectionRunner {
    if (!this.runner) throw new Error('RunningProjections.attach was not called');
    return this.runner;
  }
}
