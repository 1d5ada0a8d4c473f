import { Inject, Injectable } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import { encodePostgresCheckpoint, type EventMetadata, type JsonValue } from '@tally/event-store';
import { SQL_CLIENT } from '@tally/platform';
import type { AuditEvent, AuditEventsQuery, IntegrityStatus } from './audit.schemas';

/** The `previousHash` of version 1: the hash chain's genesis (docs/audit.md). */
const GENESIS_HASH = '0'.repeat(64);

// The previous event of the stream is found through events_stream_version, one index probe per row.
const AUDIT_COLUMNS = `e.transaction_id::text AS transaction_id, e.position::text AS position,
  e.event_id::text AS event_id, e.stream_id, e.version, e.type, e.data, e.metadata, e.recorded_at,
  encode(e.hash, 'hex') AS hash, encode(p.hash, 'hex') AS previous_hash`;
const PREVIOUS_JOIN = 'LEFT JOIN events p ON p.stream_id = e.stream_id AND p.version = e.version - 1';

const STREAM_SQL = `SELECT ${AUDIT_COLUMNS}
FROM events e ${PREVIOUS_JOIN}
WHERE e.stream_id = $1 AND e.version BETWEEN $2 AND $3
ORDER BY e.version`;

const HEAD_SQL = 'SELECT coalesce(max(version), 0)::int AS version FROM events WHERE stream_id = $1';

// The expressions are exactly those of the events_correlation index.
const CORRELATION_SQL = `SELECT ${AUDIT_COLUMNS}
FROM events e ${PREVIOUS_JOIN}
WHERE (e.metadata->>'correlationId') = $1
ORDER BY e.transaction_id, e.position
LIMIT $2`;

const LAST_CHECKPOINT_SQL = `SELECT sequence::text AS sequence, up_to, leaf_count::text AS leaf_count, root,
  created_at, key_id, public_key, signature
FROM audit_checkpoints ORDER BY sequence DESC LIMIT 1`;

const LAST_VERIFICATION_SQL = `SELECT started_at, finished_at, scope, ok, events_checked::text AS events_checked,
  streams_checked::text AS streams_checked, checkpoint_sequence::text AS checkpoint_sequence, breaks
FROM audit_verifications ORDER BY finished_at DESC, id DESC LIMIT 1`;

interface AuditRow {
  transaction_id: string;
  position: string;
  event_id: string;
  stream_id: string;
  version: number;
  type: string;
  data: JsonValue;
  metadata: EventMetadata;
  recorded_at: Date | string;
  hash: string;
  previous_hash: string | null;
}

/** A page of an event search, one more than asked when a next page exists. */
export interface AuditSearchResult {
  readonly events: AuditEvent[];
  readonly hasMore: boolean;
}

/**
 * The audit reads of the event log that the EventStore port does not offer (search by type, actor,
 * correlation and time; hashes), straight from the PostgreSQL `events` table through its audit indexes
 * (`events_type_recorded`, `events_correlation`, `events_actor`, `events_recorded_at`).
 */
@Injectable()
export class AuditLog {
  constructor(@Inject(SQL_CLIENT) private readonly sql: SqlClient) {}

  /** Versions `fromVersion` .. `fromVersion + limit - 1` of a stream. */
  async stream(streamId: string, fromVersion: number, limit: number): Promise<AuditEvent[]> {
    const { rows } = await this.sql.query<AuditRow>(STREAM_SQL, [
      streamId,
      fromVersion,
      Math.min(fromVersion + limit - 1, 2_147_483_647),
    ]);
    return rows.map(toAuditEvent);
  }

  /** The stream's last version; 0 for a stream with no events. */
  async head(streamId: string): Promise<number> {
    const { rows } = await this.sql.query<{ version: number }>(HEAD_SQL, [streamId]);
    return rows[0]?.version ?? 0;
  }

  /**
   * Events matching every given filter, by recorded time then global position. Each filter is one
   * indexed condition; the planner picks the most selective index and checks the rest on its rows.
   */
  async search(query: AuditEventsQuery): Promise<AuditSearchResult> {
    const { sql, params } = searchStatement(query);
    const { rows } = await this.sql.query<AuditRow>(sql, params);
    return { events: rows.slice(0, query.pageSize).map(toAuditEvent), hasMore: rows.length > query.pageSize };
  }

  /** Every event carrying `correlationId`, in global order (at most `limit`). */
  async correlation(correlationId: string, limit: number): Promise<AuditEvent[]> {
    const { rows } = await this.sql.query<AuditRow>(CORRELATION_SQL, [correlationId, limit]);
    return rows.map(toAuditEvent);
  }

  /** The newest signed checkpoint and the newest verification run (tables of `@tally/audit`). */
  async integrity(): Promise<IntegrityStatus> {
    const [checkpoints, verifications] = await Promise.all([
      this.sql.query<CheckpointRow>(LAST_CHECKPOINT_SQL),
      this.sql.query<VerificationRow>(LAST_VERIFICATION_SQL),
    ]);
    const checkpoint = checkpoints.rows[0];
    const verification = verifications.rows[0];
    return {
      lastCheckpoint: checkpoint
        ? {
            sequence: Number(checkpoint.sequence),
            upTo: checkpoint.up_to,
            leafCount: Number(checkpoint.leaf_count),
            root: checkpoint.root,
            createdAt: iso(checkpoint.created_at),
            keyId: checkpoint.key_id,
            publicKey: checkpoint.public_key,
            signature: checkpoint.signature,
          }
        : null,
      lastVerification: verification
        ? {
            startedAt: iso(verification.started_at),
            finishedAt: iso(verification.finished_at),
            scope: verification.scope,
            ok: verification.ok,
            eventsChecked: Number(verification.events_checked),
            streamsChecked: Number(verification.streams_checked),
            checkpointSequence:
              verification.checkpoint_sequence === null ? null : Number(verification.checkpoint_sequence),
            breaks: storedBreaks(verification.breaks),
          }
        : null,
    };
  }
}

/**
 * The statement of an event search: every given filter is one condition that an audit index serves, the
 * expressions written exactly as the indexes declare them. One row more than a page tells whether another
 * page exists.
 */
export function searchStatement(query: AuditEventsQuery): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const where = (condition: (param: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(condition(`$${params.length}`));
  };
  if (query.type !== undefined) where((p) => `e.type = ${p}`, query.type);
  if (query.actor !== undefined) where((p) => `(e.metadata->'actor'->>'id') = ${p}`, query.actor);
  if (query.correlationId !== undefined) {
    where((p) => `(e.metadata->>'correlationId') = ${p}`, query.correlationId);
  }
  if (query.streamId !== undefined) where((p) => `e.stream_id = ${p}`, query.streamId);
  if (query.from !== undefined) where((p) => `e.recorded_at >= ${p}::timestamptz`, query.from.toISOString());
  if (query.to !== undefined) where((p) => `e.recorded_at <= ${p}::timestamptz`, query.to.toISOString());
  params.push(query.pageSize + 1, (query.page - 1) * query.pageSize);
  const sql = `SELECT ${AUDIT_COLUMNS}
FROM events e ${PREVIOUS_JOIN}
WHERE ${conditions.length > 0 ? conditions.join(' AND ') : 'true'}
ORDER BY e.recorded_at, e.transaction_id, e.position
LIMIT $${params.length - 1} OFFSET $${params.length}`;
  return { sql, params };
}

interface CheckpointRow {
  sequence: string;
  up_to: string;
  leaf_count: string;
  root: string;
  created_at: Date | string;
  key_id: string;
  public_key: string;
  signature: string;
}

interface VerificationRow {
  started_at: Date | string;
  finished_at: Date | string;
  scope: string;
  ok: boolean;
  events_checked: string;
  streams_checked: string;
  checkpoint_sequence: string | null;
  breaks: unknown;
}

function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function toAuditEvent(row: AuditRow): AuditEvent {
  const { metadata } = row;
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    version: row.version,
    position: encodePostgresCheckpoint({ transactionId: row.transaction_id, position: row.position }),
    type: row.type,
    data: row.data,
    metadata: metadata as unknown as Record<string, unknown>,
    actor: { id: metadata.actor.id, role: metadata.actor.role },
    occurredAt: metadata.occurredAt,
    recordedAt: iso(row.recorded_at),
    commandId: metadata.commandId,
    correlationId: metadata.correlationId,
    causationId: metadata.causationId,
    hash: row.hash,
    // A version > 1 without a predecessor is a deleted event: `audit verify` names it; here it shows as ''.
    previousHash: row.version === 1 ? GENESIS_HASH : (row.previous_hash ?? ''),
  };
}

/** The breaks of a verification as `audit verify` records them: `{ streams, checkpoints }`. */
function storedBreaks(value: unknown): { streams: unknown[]; checkpoints: unknown[] } {
  const stored = (typeof value === 'object' && value !== null ? value : {}) as {
    streams?: unknown;
    checkpoints?: unknown;
  };
  return {
    streams: Array.isArray(stored.streams) ? stored.streams : [],
    checkpoints: Array.isArray(stored.checkpoints) ? stored.checkpoints : [],
  };
}
