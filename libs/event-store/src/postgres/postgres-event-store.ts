import { createHash } from 'node:crypto';
import type { SqlClient } from '@tally/database';
import { ConcurrencyError } from '../errors';
import {
  type AppendOptions,
  type AppendResult,
  type Checkpoint,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type JsonValue,
  type NewEvent,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
  type RecordedEvent,
  START,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionHandler,
} from '../event-store.port';
import { MAX_VERSION, originalResult, validateAppend } from '../append-validation';
import { decodePostgresCheckpoint, encodePostgresCheckpoint } from './postgres-checkpoint';
import { PollingSubscription } from './polling-subscription';

export interface PostgresEventStoreOptions {
  /** Longest wait of a caught-up subscription when no NOTIFY arrives (default 1000 ms). */
  readonly pollIntervalMs?: number;
  /**
   * LISTEN/NOTIFY channel (lower-case letters, digits and `_`). Default: `tally_events`, suffixed with the
   * current schema when that is not `public`, so that stores in different schemas do not wake each other.
   */
  readonly notifyChannel?: string;
}

/** Events committed but not yet readable by `readAll` because an older transaction is still open. */
export interface VisibilityLag {
  /** How long the oldest such event has waited since it was recorded (0 when none). */
  readonly seconds: number;
  readonly events: number;
}

const DEFAULT_POLL_INTERVAL_MS = 1000;
const DEFAULT_BATCH_SIZE = 500;
// A filtered `readAll` scans at most this many events of the global log per call (bounded latency even
// when the requested types are rare), or SCAN_ROWS_PER_EVENT per requested event for big pages; `next`
// then points at the last scanned event. Scanning a row costs a small fraction of delivering an event, so
// the window adds little to a full page's time and lets a rebuild read rare types in big pages.
const MIN_SCAN_WINDOW = 10_000;
const SCAN_ROWS_PER_EVENT = 10;
// 'any' / 'stream_exists' appends that lose a race for the next version re-read the head and retry.
const MAX_APPEND_ATTEMPTS = 100;
// At most one NOTIFY per store per this many ms (the first of a quiet period goes out at once).
const ANNOUNCE_INTERVAL_MS = 20;
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

// One round trip: `event_store_append` (migrations 0002, 0003) reads the stream's head, checks the
// expectation and inserts the batch with consecutive versions, each event hash-chained to the one before.
const APPEND_SQL = `SELECT head_version, last_version, last_transaction_id, last_position
FROM event_store_append($1, $2::jsonb, $3, $4)`;

// What `readAll` delivers, converted by PostgreSQL into the strings a `RecordedEvent` holds (the checkpoint
// as `encodePostgresCheckpoint` writes it, the instant as `Date.toISOString` does), so that Node.js only
// parses the JSON: the driver's date parsing and the checkpoint encoding were about a third of the Node.js
// CPU per event delivered.
const POSITION_TEXT = (alias: string) =>
  `lpad(${alias}.transaction_id::text, 20, '0') || '.' || lpad(${alias}.position::text, 20, '0')`;
const READ_ALL_COLUMNS = `${POSITION_TEXT('e')} AS position, e.event_id::text AS event_id, e.stream_id,
  e.version, e.type, e.data, e.metadata,
  to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS recorded_at,
  encode(e.hash, 'hex') AS hash`;

// Gap-safe global read (ADR 0002): only transactions older than the oldest running one are read, so no
// transaction can later commit an event in front of what was delivered.
const READ_ALL_SQL = `SELECT ${READ_ALL_COLUMNS}
FROM events e
WHERE e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  AND (e.transaction_id, e.position) > ($1::xid8, $2::bigint)
ORDER BY e.transaction_id, e.position
LIMIT $3`;

// Filtered read: scan a bounded window of the (narrow) primary key in delivery order, keeping the wanted
// types as the scan goes (it stops at the `limit`-th), then fetch only those rows. Nothing wide is
// materialized or sorted in PostgreSQL (sorting whole events spilled to disk): the events come back in no
// guaranteed order and `readAll` sorts them, already in order in practice, so at next to no cost. One
// extra row carries where the scan ended, needed (and computed, by scanning the window's keys again) only
// when the page is not full: `next` then moves past events of other types.
const SCAN_WINDOW = `SELECT e.transaction_id, e.position, e.type
  FROM events e
  WHERE e.transaction_id < (SELECT xmin FROM horizon)
    AND (e.transaction_id, e.position) > ($1::xid8, $2::bigint)
  ORDER BY e.transaction_id, e.position
  LIMIT $4`;
const READ_ALL_FILTERED_SQL = `WITH horizon AS MATERIALIZED (
  SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin
),
matched AS MATERIALIZED (
  SELECT s.transaction_id, s.position FROM (${SCAN_WINDOW}) s
  WHERE s.type = ANY($5::text[])
  LIMIT $3
)
SELECT CASE WHEN (SELECT count(*) FROM matched) < $3 THEN (
    SELECT ${POSITION_TEXT('w')} FROM (
      SELECT s.transaction_id, s.position FROM (${SCAN_WINDOW}) s
      ORDER BY s.transaction_id DESC, s.position DESC LIMIT 1
    ) w
  ) END AS scanned_to,
  NULL AS position, NULL AS event_id, NULL AS stream_id, NULL::int AS version, NULL AS type,
  NULL::jsonb AS data, NULL::jsonb AS metadata, NULL AS recorded_at, NULL AS hash
UNION ALL
SELECT NULL, ${READ_ALL_COLUMNS}
FROM matched m JOIN events e ON e.transaction_id = m.transaction_id AND e.position = m.position`;

// A stream read leaves out the stream id (the caller's argument) and has the database write `recordedAt` as
// `Date.toISOString` does (the text the event hash covers, migration 0003), not as a timestamp to parse
// into a Date and print again: per event that parse and print cost more than the to_char. As-of reads of
// long streams return hundreds of events, so the per-row work is most of their cost.
const STREAM_EVENT_COLUMNS = `e.transaction_id::text AS transaction_id, e.position::text AS position,
  e.event_id::text AS event_id, e.version, e.type, e.data, e.metadata,
  to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS recorded_at,
  encode(e.hash, 'hex') AS hash`;

const READ_STREAM_SQL = `SELECT ${STREAM_EVENT_COLUMNS}
FROM events e
WHERE e.stream_id = $1 AND e.version BETWEEN $2 AND $3
  AND e.recorded_at <= coalesce($4::timestamptz, 'infinity')
ORDER BY e.version`;

// Qualified names: unqualified ORDER BY names would mean the text output columns.
const HEAD_SQL = `SELECT e.transaction_id::text AS transaction_id, e.position::text AS position
FROM events e
WHERE e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY e.transaction_id DESC, e.position DESC
LIMIT 1`;

const VISIBILITY_LAG_SQL = `SELECT count(*)::int AS events,
  coalesce(extract(epoch FROM clock_timestamp() - min(recorded_at)), 0)::float8 AS seconds
FROM events
WHERE transaction_id >= pg_snapshot_xmin(pg_current_snapshot())`;

/** The columns every read returns, with `recorded_at` already as `Date.toISOString` writes it. */
interface EventColumns {
  event_id: string;
  version: number;
  type: string;
  data: JsonValue;
  metadata: EventMetadata;
  recorded_at: string;
  hash: string;
}

/** A stream read: the stream is the caller's argument; the position comes in its two parts. */
interface StreamEventRow extends EventColumns {
  transaction_id: string;
  position: string;
}

interface AppendRow {
  head_version: number;
  last_version: number | null;
  last_transaction_id: string | null;
  last_position: string | null;
}

interface StoredIdRow {
  event_id: string;
  stream_id: string;
  version: number;
  transaction_id: string;
  position: string;
}

/** A global read: the position comes as the checkpoint string. */
interface ReadAllRow extends EventColumns {
  position: string;
  stream_id: string;
}

/** A filtered read's row: an event, or (once, with every event column null) where the scan ended. */
type FilteredRow =
  ({ scanned_to: null } & ReadAllRow) | ({ scanned_to: string | null } & { [K in keyof ReadAllRow]: null });

/**
 * The event store on PostgreSQL or PGlite (same SQL). Appends are single statements; the global log is
 * read in (transaction id, position) order below the oldest running transaction, so it never skips an
 * event and never delivers one twice (ADR 0002). Does not own `sql`: `close` stops subscriptions only.
 */
export class PostgresEventStore implements EventStore {
  private readonly pollIntervalMs: number;
  private channelName: Promise<string> | undefined;
  private readonly subscriptions = new Set<PollingSubscription>();
  private pendingAnnouncement: Checkpoint = START;
  private announcing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly sql: SqlClient,
    options: PostgresEventStoreOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    if (!(this.pollIntervalMs > 0)) throw new RangeError('pollIntervalMs must be positive');
    if (options.notifyChannel !== undefined) {
      if (!CHANNEL.test(options.notifyChannel)) {
        throw new RangeError(
          `notifyChannel must match ${String(CHANNEL)} (LISTEN folds case): ${options.notifyChannel}`,
        );
      }
      this.channelName = Promise.resolve(options.notifyChannel);
    }
  }

  async append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const expected = options.expectedVersion;
    const { ids } = validateAppend(streamId, events, expected);
    const batch = JSON.stringify(
      events.map((event, i) => ({
        event_id: ids[i],
        type: event.type,
        data: event.data,
        metadata: event.metadata,
      })),
    );
    const params = [
      streamId,
      batch,
      typeof expected === 'number' ? 'version' : expected,
      typeof expected === 'number' ? expected : null,
    ];
    for (let attempt = 1; ; attempt++) {
      let row: AppendRow | undefined;
      try {
        row = (await this.sql.query<AppendRow>(APPEND_SQL, params)).rows[0];
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const lostVersionRace =
          constraintOf(error) === 'events_stream_version' &&
          (expected === 'any' || expected === 'stream_exists');
        if (lostVersionRace && attempt < MAX_APPEND_ATTEMPTS) continue;
        return this.resolveRejectedAppend(streamId, ids, expected, undefined);
      }
      if (!row) throw new Error(`Append to ${streamId}: the statement returned no row`);
      if (row.last_version === null || row.last_transaction_id === null || row.last_position === null) {
        return this.resolveRejectedAppend(streamId, ids, expected, row.head_version);
      }
      const checkpoint = encodePostgresCheckpoint({
        transactionId: row.last_transaction_id,
        position: row.last_position,
      });
      this.announce(checkpoint);
      return { nextVersion: row.last_version, checkpoint };
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const from = Math.max(1, options.fromVersion ?? 1);
    const to = Math.min(MAX_VERSION, options.toVersion ?? MAX_VERSION);
    if (to < from) return [];
    const { rows } = await this.sql.query<StreamEventRow>(READ_STREAM_SQL, [
      streamId,
      from,
      to,
      options.asOf ? options.asOf.toISOString() : null,
    ]);
    return rows.map((row) => ({
      eventId: row.event_id,
      streamId,
      version: row.version,
      type: row.type,
      data: row.data,
      metadata: row.metadata,
      position: encodePostgresCheckpoint({ transactionId: row.transaction_id, position: row.position }),
      recordedAt: row.recorded_at,
      hash: row.hash,
    }));
  }

  async readAll(options: ReadAllOptions): Promise<ReadAllResult> {
    const after = options.after ?? START;
    const { limit } = options;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`readAll limit must be >= 1: ${limit}`);
    const from = decodePostgresCheckpoint(after);
    if (options.types === undefined) {
      const { rows } = await this.sql.query<ReadAllRow>(READ_ALL_SQL, [
        from.transactionId,
        from.position,
        limit,
      ]);
      const events = rows.map(fromReadAllRow);
      return { events, next: events.at(-1)?.position ?? after };
    }
    const { rows } = await this.sql.query<FilteredRow>(READ_ALL_FILTERED_SQL, [
      from.transactionId,
      from.position,
      limit,
      Math.max(MIN_SCAN_WINDOW, limit * SCAN_ROWS_PER_EVENT),
      options.types,
    ]);
    let scannedTo: Checkpoint | null = null;
    const events: RecordedEvent[] = [];
    for (const row of rows) {
      if (row.position === null) scannedTo = row.scanned_to;
      else events.push(fromReadAllRow(row));
    }
    events.sort(byPosition);
    // A full page may stop before the end of the scanned window: continue right after its last event.
    const last = events.at(-1);
    const next = last && events.length === limit ? last.position : (scannedTo ?? after);
    return { events, next };
  }

  subscribe(options: SubscribeOptions, handler: SubscriptionHandler): Subscription {
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    const types = options.types;
    const subscription = new PollingSubscription(
      {
        read: (after) => this.readAll({ after, limit: batchSize, ...(types ? { types } : {}) }),
        listen: async (onAppend) => this.sql.listen(await this.notifyChannel(), onAppend),
        pollIntervalMs: this.pollIntervalMs,
      },
      handler,
      options.after ?? START,
      (ended) => this.subscriptions.delete(ended),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headCheckpoint(): Promise<Checkpoint> {
    const { rows } = await this.sql.query<{ transaction_id: string; position: string }>(HEAD_SQL);
    const head = rows[0];
    return head
      ? encodePostgresCheckpoint({ transactionId: head.transaction_id, position: head.position })
      : START;
  }

  /** Events committed but not yet readable because an older transaction is still open (for metrics). */
  async visibilityLag(): Promise<VisibilityLag> {
    const { rows } = await this.sql.query<{ events: number; seconds: number | string }>(VISIBILITY_LAG_SQL);
    const row = rows[0];
    return { events: row?.events ?? 0, seconds: Math.max(0, Number(row?.seconds ?? 0)) };
  }

  /** Stops every subscription and sends the last announcement. The SQL client stays open (the caller owns it). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.announcing;
  }

  /**
   * Wakes subscribers after an append has committed: this store's own at once, other processes' through
   * NOTIFY. The NOTIFY is sent after the commit, off the append's path, at most one at a time per store
   * (later checkpoints coalesce): a NOTIFY inside the append transaction would serialise every committing
   * append on PostgreSQL's notification queue lock (ADR 0002). A lost NOTIFY only costs a poll interval.
   */
  private announce(checkpoint: Checkpoint): void {
    for (const subscription of this.subscriptions) subscription.wake(checkpoint);
    if (this.closed) return;
    if (checkpoint > this.pendingAnnouncement) this.pendingAnnouncement = checkpoint;
    this.announcing ??= this.sendAnnouncements();
  }

  private async sendAnnouncements(): Promise<void> {
    try {
      const channel = await this.notifyChannel();
      while (this.pendingAnnouncement !== START) {
        const checkpoint = this.pendingAnnouncement;
        this.pendingAnnouncement = START;
        const sent = Date.now();
        await this.sql.query('SELECT pg_notify($1, $2)', [channel, checkpoint]);
        // Under load, let appends coalesce for a moment rather than spend a statement on each.
        const wait = sent + ANNOUNCE_INTERVAL_MS - Date.now();
        if (this.pendingAnnouncement !== START && wait > 0 && !this.closed) await delay(wait);
      }
    } catch {
      // Subscribers fall back to polling.
      this.pendingAnnouncement = START;
    } finally {
      this.announcing = undefined;
    }
  }

  /**
   * The append inserted nothing (its expectation failed) or hit a unique constraint: either the events are
   * already stored (idempotent retry: return the original result) or the expectation was wrong.
   */
  private async resolveRejectedAppend(
    streamId: string,
    ids: readonly string[],
    expected: ExpectedVersion,
    head: number | undefined,
  ): Promise<AppendResult> {
    const { rows } = await this.sql.query<StoredIdRow>(
      `SELECT event_id::text AS event_id, stream_id, version,
         transaction_id::text AS transaction_id, position::text AS position
       FROM events WHERE event_id = ANY($1::uuid[])`,
      [ids],
    );
    const original = originalResult(
      streamId,
      ids,
      rows.map((row) => ({
        eventId: row.event_id,
        streamId: row.stream_id,
        version: row.version,
        checkpoint: encodePostgresCheckpoint({ transactionId: row.transaction_id, position: row.position }),
      })),
    );
    if (original) return original;
    const actual = head ?? (await this.streamVersion(streamId));
    throw new ConcurrencyError(streamId, expected, actual === 0 ? 'no_stream' : actual);
  }

  private async streamVersion(streamId: string): Promise<number> {
    const { rows } = await this.sql.query<{ version: number }>(
      'SELECT coalesce(max(version), 0) AS version FROM events WHERE stream_id = $1',
      [streamId],
    );
    return rows[0]?.version ?? 0;
  }

  /** The LISTEN/NOTIFY channel this store announces appends on. */
  notifyChannel(): Promise<string> {
    this.channelName ??= this.sql
      .query<{ schema: string | null }>('SELECT current_schema() AS schema')
      .then(({ rows }) => defaultChannel(rows[0]?.schema ?? 'public'))
      .catch((error: unknown) => {
        this.channelName = undefined;
        throw error;
      });
    return this.channelName;
  }
}

/** `tally_events`, plus the schema when it is not `public`, as a valid unquoted identifier. */
function defaultChannel(schema: string): string {
  if (schema === 'public') return 'tally_events';
  const name = `tally_events_${schema.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
  if (name.length <= 63) return name;
  const digest = createHash('sha256').update(schema).digest('hex').slice(0, 12);
  return `${name.slice(0, 50)}_${digest}`;
}

function fromReadAllRow(row: ReadAllRow): RecordedEvent {
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    version: row.version,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    position: row.position,
    recordedAt: row.recorded_at,
    hash: row.hash,
  };
}

/** Delivery order: checkpoints compare as strings. */
function byPosition(a: RecordedEvent, b: RecordedEvent): number {
  return a.position < b.position ? -1 : a.position > b.position ? 1 : 0;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

function constraintOf(error: unknown): string | undefined {
  const constraint = (error as { constraint?: unknown }).constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}
