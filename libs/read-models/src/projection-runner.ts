import type { SqlClient, SqlExecutor } from '@tally/database';
import {
  START,
  type Checkpoint,
  type EventStore,
  type RecordedEvent,
  type Subscription,
} from '@tally/event-store';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { PROJECTIONS_CHANNEL } from './consistency';
import type { Projection } from './projection';

/** The few logging calls the runner makes; a pino logger satisfies it. */
export interface ProjectionLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ProjectionRunnerOptions {
  readonly sql: SqlClient;
  readonly store: EventStore;
  readonly projections: readonly Projection[];
  readonly logger: ProjectionLogger;
  /** Where the runner's metrics go; omit to record none. One running runner per registry. */
  readonly registry?: Registry;
  /** Events per batch (and per transaction); default 500. */
  readonly batchSize?: number;
  /** Backoff after an infrastructure failure: doubles from `initialMs` up to `maxMs` (default 100 ms, 30 s). */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /** `tally_projection_lag_events` counts at most this many events per projection (default 10 000). */
  readonly lagScanLimit?: number;
  /** Epoch milliseconds; injected so tests control `tally_projection_lag_seconds`. */
  readonly now?: () => number;
  /** Which errors mean "retry the batch later" rather than "this event is poison"; default {@link isTransientError}. */
  readonly isTransientError?: (error: unknown) => boolean;
}

/** Where one projection of this runner stands. */
export interface ProjectionRunnerStatus {
  readonly name: string;
  readonly state: 'idle' | 'running' | 'retrying' | 'stopped';
  /** The checkpoint of the last batch this runner committed (or loaded at start). */
  readonly checkpoint: Checkpoint;
  /** Consecutive infrastructure failures (0 once a batch commits). */
  readonly failures: number;
  readonly lastError?: string;
}

/**
 * Thrown by a handler to say "the infrastructure failed, retry later" rather than "this event is poison"
 * (e.g. a search index that is down).
 */
export class TransientProjectionError extends Error {
  override readonly name = 'TransientProjectionError';
}

const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57014', // query_canceled (statement timeout)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  // The database is not in the shape the code expects (migrations not applied yet, wrong schema):
  // retrying until it is beats recording every event as poison.
  '3D000', // invalid_catalog_name
  '3F000', // invalid_schema_name
  '42P01', // undefined_table
  '42703', // undefined_column
  '42883', // undefined_function
  '42501', // insufficient_privilege
]);
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const TRANSIENT_MESSAGES =
  /connection terminated|connection (is )?closed|connection error|timeout exceeded when trying to connect|PGlite is closed|Cannot use a pool after calling end/i;

/**
 * True for failures of the infrastructure rather than of one event: lost connections, server shutdown,
 * serialization failures and deadlocks, timeouts, SQL state classes 08 (connection) and 53 (resources),
 * a missing table/column/function, and {@link TransientProjectionError}. Follows `cause` chains.
 */
export function isTransientError(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof TransientProjectionError) return true;
    if (typeof current !== 'object') return false;
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string') {
      if (code.startsWith('08') || code.startsWith('53')) return true;
      if (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_NODE_CODES.has(code)) return true;
    }
    if (typeof message === 'string' && TRANSIENT_MESSAGES.test(message)) return true;
    current = cause;
  }
  return false;
}

interface Worker {
  readonly projection: Projection;
  state: ProjectionRunnerStatus['state'];
  checkpoint: Checkpoint;
  failures: number;
  lastError?: string;
  loop?: Promise<void>;
}

interface PoisonEvent {
  readonly event: RecordedEvent;
  readonly error: unknown;
}

interface BatchOutcome {
  readonly checkpoint: Checkpoint;
  readonly applied: number;
  readonly poison: readonly PoisonEvent[];
}

interface LagSample {
  readonly name: string;
  readonly checkpoint: Checkpoint;
  readonly events: number;
  readonly seconds: number;
}

/**
 * Runs projections (DESIGN.md §6, docs/adr/0003-projection-runner.md). Each projection subscribes to the
 * store from its stored checkpoint, filtered to its event types; each batch is applied and the checkpoint
 * advanced to the subscription's `next` in one transaction, which also notifies `tally_projections`.
 *
 * A batch whose handler throws is applied again event by event under savepoints: the events that fail are
 * recorded in `projection_poison_events`, counted, logged and skipped. Infrastructure failures
 * ({@link isTransientError}) roll the batch back and restart the subscription from the stored checkpoint
 * after an exponential backoff; the runner keeps retrying until it is stopped.
 */
export class ProjectionRunner {
  private readonly sql: SqlClient;
  private readonly store: EventStore;
  private readonly logger: ProjectionLogger;
  private readonly workers: Worker[];
  private readonly batchSize: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly lagScanLimit: number;
  private readonly now: () => number;
  private readonly isTransient: (error: unknown) => boolean;
  private readonly metrics: RunnerMetrics | undefined;
  private started = false;
  private stopping = false;
  private signalStop: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.signalStop = resolve));
  private lagSample: Promise<LagSample[]> | undefined;

  constructor(options: ProjectionRunnerOptions) {
    this.sql = options.sql;
    this.store = options.store;
    this.logger = options.logger;
    const names = options.projections.map((projection) => projection.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate !== undefined) throw new Error(`Two projections are named '${duplicate}'`);
    this.workers = options.projections.map((projection) => ({
      projection,
      state: 'idle',
      checkpoint: START,
      failures: 0,
    }));
    this.batchSize = options.batchSize ?? 500;
    this.initialDelayMs = options.retry?.initialMs ?? 100;
    this.maxDelayMs = options.retry?.maxMs ?? 30_000;
    this.lagScanLimit = options.lagScanLimit ?? 10_000;
    this.now = options.now ?? Date.now;
    this.isTransient = options.isTransientError ?? isTransientError;
    this.metrics = options.registry ? new RunnerMetrics(options.registry, () => this.sampleLag()) : undefined;
  }

  /**
   * Starts every projection. Resolves once each has made its first attempt to load its checkpoint and
   * subscribe; one that failed keeps retrying in the background (see {@link status}).
   */
  async start(): Promise<void> {
    if (this.started) throw new Error('ProjectionRunner already started');
    this.started = true;
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((firstAttempt) => {
            worker.loop = this.run(worker, firstAttempt);
          }),
      ),
    );
    this.logger.info(
      {
        projections: this.workers.map((worker) => ({
          name: worker.projection.name,
          from: worker.checkpoint,
        })),
      },
      'projections started',
    );
  }

  /** Stops every subscription and waits for batches in flight; the metrics leave the registry. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.signalStop();
    await Promise.all(this.workers.map((worker) => worker.loop ?? Promise.resolve()));
    this.metrics?.unregister();
    this.logger.info({}, 'projections stopped');
  }

  status(): ProjectionRunnerStatus[] {
    return this.workers.map((worker) => ({
      name: worker.projection.name,
      state: worker.state,
      checkpoint: worker.checkpoint,
      failures: worker.failures,
      ...(worker.lastError === undefined ? {} : { lastError: worker.lastError }),
    }));
  }

  /** Subscribe from the stored checkpoint; on failure back off and do it again, until stopped. */
  private async run(worker: Worker, firstAttempt: () => void): Promise<void> {
    const { name, eventTypes } = worker.projection;
    while (!this.stopping) {
      let subscription: Subscription | undefined;
      let failure: unknown;
      try {
        worker.checkpoint = await this.loadCheckpoint(name);
        subscription = this.store.subscribe(
          { after: worker.checkpoint, types: eventTypes, batchSize: this.batchSize },
          (events, next) => this.handleBatch(worker, events, next),
        );
        worker.state = 'running';
        firstAttempt();
        failure = await Promise.race([subscription.failed, this.stopped.then(() => undefined)]);
      } catch (error) {
        failure = error;
      } finally {
        await subscription?.stop().catch(() => undefined);
      }
      if (failure === undefined || this.isStopping()) break;
      worker.state = 'retrying';
      worker.failures += 1;
      worker.lastError = describe(failure);
      const delayMs = this.backoff(worker.failures);
      this.metrics?.errors.inc({ projection: name });
      this.logger.error(
        { projection: name, err: failure, failures: worker.failures, retryInMs: delayMs },
        'projection failed; retrying from its checkpoint',
      );
      firstAttempt();
      await this.sleep(delayMs);
    }
    worker.state = 'stopped';
    firstAttempt();
  }

  private async loadCheckpoint(name: string): Promise<Checkpoint> {
    await this.sql.query(
      'INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING',
      [name],
    );
    const { rows } = await this.sql.query<{ checkpoint: string }>(
      'SELECT checkpoint FROM projection_checkpoints WHERE name = $1',
      [name],
    );
    return rows[0]?.checkpoint ?? START;
  }

  private async handleBatch(
    worker: Worker,
    events: readonly RecordedEvent[],
    next: Checkpoint,
  ): Promise<void> {
    if (events.length === 0 && next <= worker.checkpoint) return;
    const name = worker.projection.name;
    const endTimer = this.metrics?.batchDuration.startTimer({ projection: name });
    let outcome: BatchOutcome;
    try {
      outcome = await this.sql.transaction((tx) => this.commitBatch(tx, worker, events, next, false));
    } catch (error) {
      if (events.length === 0 || this.isTransient(error)) throw error;
      this.logger.warn(
        { projection: name, err: error, events: events.length, from: events[0]?.position },
        'projection batch failed; applying its events one by one to isolate the poison',
      );
      outcome = await this.sql.transaction((tx) => this.commitBatch(tx, worker, events, next, true));
    }
    endTimer?.();
    worker.checkpoint = outcome.checkpoint;
    worker.failures = 0;
    worker.state = 'running';
    this.metrics?.events.inc({ projection: name }, outcome.applied);
    for (const { event, error } of outcome.poison) {
      this.metrics?.poison.inc({ projection: name });
      this.logger.error(
        {
          projection: name,
          err: error,
          eventId: event.eventId,
          streamId: event.streamId,
          version: event.version,
          type: event.type,
          position: event.position,
        },
        'poison event recorded in projection_poison_events and skipped',
      );
    }
  }

  /**
   * One transaction: lock the checkpoint row, apply the events past it, move it to `next`, notify. The
   * lock and the position filter keep the effect exactly-once even if two runners share a projection.
   */
  private async commitBatch(
    tx: SqlExecutor,
    worker: Worker,
    events: readonly RecordedEvent[],
    next: Checkpoint,
    isolate: boolean,
  ): Promise<BatchOutcome> {
    const { projection } = worker;
    const { rows } = await tx.query<{ checkpoint: string }>(
      'SELECT checkpoint FROM projection_checkpoints WHERE name = $1 FOR UPDATE',
      [projection.name],
    );
    const stored = rows[0]?.checkpoint ?? START;
    const fresh = events.filter((event) => event.position > stored);
    const target = next > stored ? next : stored;
    if (fresh.length === 0 && target === stored) return { checkpoint: stored, applied: 0, poison: [] };

    const poison: PoisonEvent[] = [];
    if (!isolate) {
      await projection.apply(tx, fresh);
    } else {
      for (const event of fresh) {
        await tx.query('SAVEPOINT tally_projection_event');
        try {
          await projection.apply(tx, [event]);
          await tx.query('RELEASE SAVEPOINT tally_projection_event');
        } catch (error) {
          if (this.isTransient(error)) throw error;
          await tx.query('ROLLBACK TO SAVEPOINT tally_projection_event');
          await tx.query('RELEASE SAVEPOINT tally_projection_event');
          await recordPoison(tx, projection.name, event, error);
          poison.push({ event, error });
        }
      }
    }
    const applied = fresh.length - poison.length;
    await tx.query(
      `INSERT INTO projection_checkpoints (name, checkpoint, events_processed, updated_at)
       VALUES ($1, $2, $3, now())
       ON CONFLICT (name) DO UPDATE SET checkpoint = EXCLUDED.checkpoint,
         events_processed = projection_checkpoints.events_processed + EXCLUDED.events_processed,
         updated_at = EXCLUDED.updated_at`,
      [projection.name, target, applied],
    );
    // Delivered on commit only, so a waiter never wakes for a batch that rolled back.
    await tx.query('SELECT pg_notify($1, $2)', [PROJECTIONS_CHANNEL, projection.name]);
    return { checkpoint: target, applied, poison };
  }

  private backoff(failures: number): number {
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.min(failures - 1, 30));
    // Jitter, so that projections (and processes) failing together do not retry in lockstep.
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
      this.stopped,
    ]).finally(() => {
      clearTimeout(timer);
    });
  }

  // A method, so that the compiler does not narrow the flag across awaits.
  private isStopping(): boolean {
    return this.stopping;
  }

  /** One sample per scrape, shared by the lag and checkpoint gauges (they collect concurrently). */
  private sampleLag(): Promise<LagSample[]> {
    this.lagSample ??= this.measureLag().finally(() => (this.lagSample = undefined));
    return this.lagSample;
  }

  /**
   * Lag from the stored checkpoints (so it is right whichever runner advanced them): the number of
   * events of the projection's types after its checkpoint, counted by reading at most `lagScanLimit` of
   * them, and the age of the oldest of them. Zero without a read when the checkpoint is at the head.
   */
  private async measureLag(): Promise<LagSample[]> {
    const names = this.workers.map((worker) => worker.projection.name);
    const { rows } = await this.sql.query<{ name: string; checkpoint: string }>(
      'SELECT name, checkpoint FROM projection_checkpoints WHERE name = ANY($1::text[])',
      [names],
    );
    const stored = new Map(rows.map((row) => [row.name, row.checkpoint]));
    const head = await this.store.headCheckpoint();
    const now = this.now();
    return Promise.all(
      this.workers.map(async ({ projection }): Promise<LagSample> => {
        const checkpoint = stored.get(projection.name) ?? START;
        if (checkpoint >= head) return { name: projection.name, checkpoint, events: 0, seconds: 0 };
        const { events } = await this.store.readAll({
          after: checkpoint,
          types: projection.eventTypes,
          limit: this.lagScanLimit,
        });
        const oldest = events[0] ? Date.parse(events[0].recordedAt) : now;
        return {
          name: projection.name,
          checkpoint,
          events: events.length,
          seconds: Math.max(0, (now - oldest) / 1000),
        };
      }),
    );
  }
}

async function recordPoison(tx: SqlExecutor, projection: string, event: RecordedEvent, error: unknown) {
  await tx.query(
    `INSERT INTO projection_poison_events (projection, event_id, position, stream_id, version, type, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (projection, event_id) DO UPDATE SET error = EXCLUDED.error, recorded_at = now()`,
    [projection, event.eventId, event.position, event.streamId, event.version, event.type, describe(error)],
  );
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/** The runner's Prometheus metrics. */
class RunnerMetrics {
  readonly events: Counter<'projection'>;
  readonly poison: Counter<'projection'>;
  readonly errors: Counter<'projection'>;
  readonly batchDuration: Histogram<'projection'>;
  static readonly names = [
    'tally_projection_events_total',
    'tally_projection_poison_events_total',
    'tally_projection_errors_total',
    'tally_projection_batch_duration_seconds',
    'tally_projection_lag_events',
    'tally_projection_lag_seconds',
    'tally_projection_checkpoint_info',
  ] as const;

  constructor(
    private readonly registry: Registry,
    sample: () => Promise<LagSample[]>,
  ) {
    const registers = [registry];
    this.events = new Counter({
      name: 'tally_projection_events_total',
      help: 'Events applied by each projection.',
      labelNames: ['projection'],
      registers,
    });
    this.poison = new Counter({
      name: 'tally_projection_poison_events_total',
      help: 'Events a projection could not apply, recorded in projection_poison_events and skipped.',
      labelNames: ['projection'],
      registers,
    });
    this.errors = new Counter({
      name: 'tally_projection_errors_total',
      help: 'Infrastructure failures after which a projection retried from its checkpoint.',
      labelNames: ['projection'],
      registers,
    });
    this.batchDuration = new Histogram({
      name: 'tally_projection_batch_duration_seconds',
      help: 'Time to apply one batch and commit its checkpoint.',
      labelNames: ['projection'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    // A failed sample leaves the last values: a scrape must not fail because the store is down.
    const collect = async (apply: (samples: LagSample[]) => void) => {
      const samples = await sample().catch(() => undefined);
      if (samples) apply(samples);
    };
    const lagEvents = new Gauge({
      name: 'tally_projection_lag_events',
      help: 'Events of the projection types after its checkpoint (counted up to the scan limit).',
      labelNames: ['projection'],
      registers,
      collect: () =>
        collect((samples) => {
          for (const s of samples) lagEvents.set({ projection: s.name }, s.events);
        }),
    });
    const lagSeconds = new Gauge({
      name: 'tally_projection_lag_seconds',
      help: 'Age of the oldest event the projection has not applied yet (0 when caught up).',
      labelNames: ['projection'],
      registers,
      collect: () =>
        collect((samples) => {
          for (const s of samples) lagSeconds.set({ projection: s.name }, s.seconds);
        }),
    });
    const checkpointInfo = new Gauge({
      name: 'tally_projection_checkpoint_info',
      help: 'The stored checkpoint of each projection, as a label (value always 1).',
      labelNames: ['projection', 'checkpoint'],
      registers,
      collect: () =>
        collect((samples) => {
          checkpointInfo.reset();
          for (const s of samples) checkpointInfo.set({ projection: s.name, checkpoint: s.checkpoint }, 1);
        }),
    });
  }

  unregister(): void {
    for (const name of RunnerMetrics.names) this.registry.removeSingleMetric(name);
  }
}
