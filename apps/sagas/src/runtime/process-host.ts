import type { EventStore } from '@tally/event-store';
import {
  backoffDelay,
  type CommandSender,
  type ConsumerStatus,
  type EventConsumerHost,
  type RunningConsumer,
  StopSignal,
} from '@tally/messaging';
import type { Logger, ReadinessCheck } from '@tally/platform';
import type { Registry } from 'prom-client';
import type { AnyProcessDefinition } from './process-definition';
import { ProcessMetrics } from './process-metrics';
import { ProcessRuntime } from './process-runtime';
import { type InstanceCounts, ProcessTables } from './process-tables';
import { TimeoutPoller } from './timeout-poller';

/** A consumer host that can say how its consumers are doing (both of @tally/messaging's hosts can). */
export type ObservableConsumerHost = EventConsumerHost & { status?(): ConsumerStatus[] };

export interface ProcessHostOptions {
  readonly definitions: readonly AnyProcessDefinition[];
  readonly consumers: ObservableConsumerHost;
  readonly commands: CommandSender;
  readonly store: EventStore;
  readonly tables: ProcessTables;
  readonly logger: Logger;
  /** Inputs handled at once per process, across instances (one instance is always one at a time). */
  readonly maxInFlight?: number;
  readonly timeoutPollIntervalMs?: number;
  readonly now?: () => Date;
}

/** One hosted process as operators see it (`GET /api/v1/process-managers`). */
export interface ProcessManagerInfo {
  readonly name: string;
  /** The durable consumer it runs as. */
  readonly consumer: string;
  readonly eventTypes: readonly string[];
  /** Its consumer's state: `running`, `starting`/`retrying` (e.g. NATS unreachable), `stopped`. */
  readonly state: ConsumerStatus['state'];
  readonly lastError?: string;
  readonly instances: { readonly active: number; readonly terminal: number };
  /** Instances still waiting for `resume` since this process started (0 once resume has finished). */
  readonly resumePending: number;
}

interface Hosted {
  readonly definition: AnyProcessDefinition;
  readonly runtime: ProcessRuntime;
  readonly poller: TimeoutPoller;
  consumer?: RunningConsumer;
  resumePending: number;
}

/**
 * Runs the registered process managers: per process a durable consumer feeding {@link ProcessRuntime.handle}
 * (partitioned by instance, so one instance's inputs are handled one at a time, in order), a
 * {@link TimeoutPoller}, and on start `resume` for every unfinished instance. Built in `registerMetrics`
 * (its metrics go to the app's registry), started on bootstrap, stopped before shutdown.
 */
export class ProcessHost {
  private hosted: Hosted[] = [];
  private started = false;
  private starting = false;
  private resuming: Promise<void> | undefined;
  private stopSignal = new StopSignal();

  constructor(private readonly options: ProcessHostOptions) {}

  get definitions(): readonly AnyProcessDefinition[] {
    return this.options.definitions;
  }

  /** Builds the runtimes with their metrics in `registry`. */
  attach(registry: Registry): void {
    const { definitions, tables, logger } = this.options;
    const metrics = new ProcessMetrics(
      registry,
      tables,
      definitions.map((definition) => definition.name),
    );
    this.hosted = definitions.map((definition) => {
      const runtime = new ProcessRuntime({
        definition,
        store: this.options.store,
        tables,
        commands: this.options.commands,
        metrics,
        logger,
        now: this.options.now,
        onScheduled: (dueAt) => {
          this.hosted.find((hosted) => hosted.runtime === runtime)?.poller.wake(dueAt);
        },
      });
      const poller = new TimeoutPoller({
        runtime,
        tables,
        logger,
        intervalMs: this.options.timeoutPollIntervalMs,
        now: this.options.now,
      });
      return { definition, runtime, poller, resumePending: 0 };
    });
  }

  /** The runtime of `name` (tests drive it directly). */
  runtime(name: string): ProcessRuntime {
    const hosted = this.hosted.find((candidate) => candidate.definition.name === name);
    if (!hosted) throw new Error(`No process manager named ${name} (was attach called?)`);
    return hosted.runtime;
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (this.hosted.length === 0 && this.options.definitions.length > 0) {
      throw new Error('ProcessHost.attach was not called');
    }
    this.stopSignal = new StopSignal();
    this.starting = true;
    try {
      for (const hosted of this.hosted) {
        const { definition, runtime } = hosted;
        hosted.consumer = await this.options.consumers.start({
          name: definition.name,
          eventTypes: definition.eventTypes,
          handler: (event) => runtime.handle(event),
          // One instance's inputs one at a time, in log order; an event of no instance goes by its stream.
          partitionKey: (event) => definition.instanceOf(event) ?? event.streamId,
          maxInFlight: this.options.maxInFlight,
        });
        hosted.poller.start();
      }
    } catch (error) {
      await this.stopAll();
      throw error;
    } finally {
      this.starting = false;
    }
    this.started = true;
    // In the background: resume sends commands, and command-api may not be reachable yet.
    this.resuming = this.resumeAll();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.stopAll();
  }

  /** `/readyz` fails while any consumer is not running (not started, stopped, or retrying its connection). */
  readonly readiness: ReadinessCheck = {
    name: 'process-managers',
    check: () => {
      if (!this.started) {
        const starting = this.starting
          ? (this.options.consumers.status?.() ?? []).filter((status) => status.state !== 'running')
          : [];
        const detail = starting.map((s) => `${s.name} ${s.state}${s.lastError ? ` (${s.lastError})` : ''}`);
        return Promise.reject(
          new Error(detail.length > 0 ? detail.join('; ') : 'process-manager consumers are not running'),
        );
      }
      const down = this.options.definitions
        .map((definition) => this.consumerStatus(definition.name))
        .filter((status) => status.state !== 'running');
      if (down.length > 0) {
        const detail = down
          .map((s) => `${s.name} ${s.state}${s.lastError ? ` (${s.lastError})` : ''}`)
          .join('; ');
        return Promise.reject(new Error(detail));
      }
      return Promise.resolve();
    },
  };

  /** The consumer's own report when the host gives one; otherwise running from start to stop. */
  private consumerStatus(name: string): ConsumerStatus {
    const hosted = this.hosted.find((candidate) => candidate.definition.name === name);
    if (!this.started || !hosted?.consumer) return { name, state: 'stopped', failures: 0 };
    const reported = this.options.consumers.status?.().find((status) => status.name === name);
    return reported ?? { name, state: 'running', failures: 0 };
  }

  async list(): Promise<ProcessManagerInfo[]> {
    const counts = await this.options.tables.instanceCounts();
    return this.options.definitions.map((definition) => {
      const hosted = this.hosted.find((candidate) => candidate.definition === definition);
      const row: InstanceCounts | undefined = counts.find((count) => count.process === definition.name);
      const status = this.consumerStatus(definition.name);
      return {
        name: definition.name,
        consumer: definition.name,
        eventTypes: definition.eventTypes,
        state: status.state,
        ...(status.lastError === undefined ? {} : { lastError: status.lastError }),
        instances: { active: row?.active ?? 0, terminal: row?.terminal ?? 0 },
        resumePending: hosted?.resumePending ?? 0,
      };
    });
  }

  /** Resolves once the start-up `resume` pass has finished (or was stopped). */
  async resumed(): Promise<void> {
    await this.resuming;
  }

  private async stopAll(): Promise<void> {
    this.stopSignal.stop();
    for (const hosted of this.hosted) {
      await hosted.consumer?.stop();
      hosted.consumer = undefined;
      await hosted.poller.stop();
    }
    await this.resuming;
    this.resuming = undefined;
  }

  /**
   * `resume` for every unfinished instance of every process. An instance whose actions fail (command-api
   * unreachable) is retried with backoff until it succeeds or the host stops.
   */
  private async resumeAll(): Promise<void> {
    const stopped = () => this.stopSignal.requested();
    for (const hosted of this.hosted) {
      const { runtime, definition } = hosted;
      let pending: string[] = [];
      try {
        pending = await this.activeInstances(definition.name);
      } catch (error) {
        this.options.logger.error(
          { err: error, process: definition.name },
          'process: resume could not list instances',
        );
      }
      hosted.resumePending = pending.length;
      for (let failures = 0; pending.length > 0 && !stopped();) {
        const failed: string[] = [];
        for (const instance of pending) {
          if (stopped()) return;
          try {
            await runtime.resume(instance);
            hosted.resumePending -= 1;
          } catch (error) {
            failed.push(instance);
            this.options.logger.warn(
              { err: error, process: definition.name, instance },
              'process: resume failed; retried',
            );
          }
        }
        pending = failed;
        if (failed.length > 0) {
          failures += 1;
          await this.stopSignal.sleep(backoffDelay(failures));
        }
      }
      if (pending.length === 0 && hosted.resumePending === 0) {
        this.options.logger.info({ process: definition.name }, 'process: resume finished');
      }
    }
  }

  private async activeInstances(process: string): Promise<string[]> {
    const all: string[] = [];
    for (let after = ''; ;) {
      const page = await this.options.tables.activeInstances(process, after, 500);
      all.push(...page);
      const last = page.at(-1);
      if (last === undefined || page.length < 500) return all;
      after = last;
    }
  }
}
