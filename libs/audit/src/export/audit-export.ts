import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { SqlClient, SqlExecutor } from '@tally/database';
import {
  decodePostgresCheckpoint,
  encodePostgresCheckpoint,
  type PostgresLogPosition,
} from '@tally/event-store';
import type { SignedCheckpoint } from '../checkpoint-format';
import { coveringCheckpoint, createCheckpoint } from '../checkpoints';
import type { CheckpointSigner } from '../signing-key';
import {
  AUDIT_EXPORT_FORMAT,
  type AuditExportFormat,
  type AuditExportHeader,
  csvEvent,
  csvHeader,
  type ExportedEventRow,
  jsonlEvent,
  jsonlHeader,
} from './export-format';
import { PackedMerkleTree } from './packed-merkle-tree';

export interface AuditExportOptions {
  /** Events recorded at or after this instant. */
  readonly from: Date;
  /** Events recorded before this instant. */
  readonly to: Date;
  /** Only this stream. */
  readonly streamId?: string | undefined;
  readonly format: AuditExportFormat;
  readonly out: Writable;
  /**
   * Signs a new checkpoint when none covers the last exported event yet. Without one such an export fails
   * with {@link NoCoveringCheckpointError}.
   */
  readonly signer?: CheckpointSigner | undefined;
  /** Progress: `phase` 'tree' counts the log's events hashed into the tree, 'events' the events written. */
  readonly onProgress?: (phase: 'tree' | 'events', done: number, total: number) => void;
  /** Rows per round trip (default 10,000). */
  readonly pageSize?: number;
  readonly now?: () => Date;
}

export interface AuditExportResult {
  readonly events: number;
  readonly streams: number;
  readonly checkpoint: SignedCheckpoint;
  /** True when the export signed a new checkpoint because none covered it. */
  readonly createdCheckpoint: boolean;
}

/** No signed checkpoint covers the export yet, and no signing key is configured to make one. */
export class NoCoveringCheckpointError extends Error {
  override readonly name = 'NoCoveringCheckpointError';
}

/** The log no longer matches the checkpoint that should cover the export: it was tampered with. */
export class CheckpointMismatchError extends Error {
  override readonly name = 'CheckpointMismatchError';
}

const DEFAULT_PAGE_SIZE = 10_000;
// What version 1 of every stream chains to (event-hash.ts).
const GENESIS_HASH = '0'.repeat(64);

// The selection, as SQL over `events e`: $1 from, $2 to, $3 stream (or null).
const SELECTED = `e.recorded_at >= $1::timestamptz AND e.recorded_at < $2::timestamptz
  AND ($3::text IS NULL OR e.stream_id = $3::text)`;

interface PositionRow {
  transaction_id: string;
  position: string;
}

interface TreeRow extends PositionRow {
  hash: string | null;
  selected: boolean;
}

interface EventRow extends PositionRow {
  event_id: string;
  stream_id: string;
  version: number;
  type: string;
  data: string;
  metadata: string;
  recorded_at: Date;
  hash: string;
  previous_hash: string | null;
}

/**
 * Writes the events recorded in [from, to) (optionally of one stream), in global log order, each with its
 * hash, the hash before it in its stream, its leaf index in the global log and an RFC 6962 inclusion proof
 * against the first signed checkpoint that covers the last of them (docs/audit.md, "Export"). The first
 * record carries that checkpoint, so a third party can verify the file offline with
 * `tools/audit/verify-export.mjs`.
 *
 * Memory stays flat whatever the export's size, apart from the tree over the covered log (64 bytes an
 * event): the log is read twice in pages, once to build the tree (checked against the signed root before
 * anything is written) and once to write the selected events.
 */
export async function exportAuditLog(
  sql: SqlClient,
  options: AuditExportOptions,
): Promise<AuditExportResult> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const selection = [options.from.toISOString(), options.to.toISOString(), options.streamId ?? null];
  const last = await lastSelected(sql, selection);
  let createdCheckpoint = false;
  // With nothing selected, the latest checkpoint: even an empty export carries a signed statement about the log.
  let checkpoint = await coveringCheckpoint(sql, last);
  if (!checkpoint) {
    if (!options.signer) {
      throw new NoCoveringCheckpointError(
        `no signed checkpoint covers ${last ? `the event at ${last}` : 'the log'} yet, and TALLY_AUDIT_SIGNING_KEY is not set to sign one: ` +
          'set it, or wait for the next scheduled checkpoint (`npm run tally -- audit checkpoint`)',
      );
    }
    const created = await createCheckpoint(sql, options.signer, options.now ? { now: options.now } : {});
    createdCheckpoint = true;
    // Another process may have signed first; take the first covering one, as a later export would.
    checkpoint = (await coveringCheckpoint(sql, last)) ?? created;
  }

  const { tree, selected } = await buildTree(sql, checkpoint, selection, pageSize, options.onProgress);
  const header: AuditExportHeader = {
    format: AUDIT_EXPORT_FORMAT,
    checkpoint,
    hash: 'sha256',
    canonicalJson: 'postgresql-jsonb-text',
    merkleTree: 'rfc6962-sha256',
    signature: 'ed25519',
    selection: {
      from: options.from.toISOString(),
      to: options.to.toISOString(),
      streamId: options.streamId ?? null,
    },
    exportedAt: (options.now?.() ?? new Date()).toISOString(),
  };
  const writeEvent = options.format === 'csv' ? csvEvent : jsonlEvent;
  await write(options.out, options.format === 'csv' ? csvHeader(header) : jsonlHeader(header));

  const streams = new Set<string>();
  const total = countBits(selected);
  let written = 0;
  let leafCursor = -1;
  const end = decodePostgresCheckpoint(checkpoint.upTo);
  let cursor: PostgresLogPosition = decodePostgresCheckpoint('');
  for (;;) {
    const { rows } = await sql.query<EventRow>(
      `SELECT e.transaction_id::text AS transaction_id, e.position::text AS position,
         e.event_id::text AS event_id, e.stream_id, e.version, e.type,
         e.data::text AS data, e.metadata::text AS metadata, e.recorded_at,
         encode(e.hash, 'hex') AS hash,
         CASE WHEN e.version = 1 THEN $9::text ELSE encode(p.hash, 'hex') END AS previous_hash
       FROM events e
       LEFT JOIN events p ON p.stream_id = e.stream_id AND p.version = e.version - 1
       WHERE ${SELECTED}
         AND (e.transaction_id, e.position) > ($4::xid8, $5::bigint)
         AND (e.transaction_id, e.position) <= ($6::xid8, $7::bigint)
       ORDER BY e.transaction_id, e.position
       LIMIT $8`,
      [
        ...selection,
        cursor.transactionId,
        cursor.position,
        end.transactionId,
        end.position,
        pageSize,
        GENESIS_HASH,
      ],
    );
    let chunk = '';
    for (const row of rows) {
      leafCursor = nextSetBit(selected, leafCursor + 1, tree.size);
      // Both passes walk the same immutable prefix in the same order; anything else is a bug, not data.
      if (leafCursor < 0) throw new Error(`event ${row.event_id} was not selected while building the tree`);
      const proof = tree.proof(leafCursor).map((hash) => hash.toString('hex'));
      chunk += writeEvent(toExported(row, leafCursor, proof));
      streams.add(row.stream_id);
    }
    if (chunk) await write(options.out, chunk);
    written += rows.length;
    options.onProgress?.('events', written, total);
    const lastRow = rows.at(-1);
    if (!lastRow || rows.length < pageSize) break;
    cursor = { transactionId: lastRow.transaction_id, position: lastRow.position };
  }
  return { events: written, streams: streams.size, checkpoint, createdCheckpoint };
}

/** The position of the last selected event `readAll` can deliver now, or undefined when none is. */
async function lastSelected(sql: SqlExecutor, selection: readonly unknown[]): Promise<string | undefined> {
  const { rows } = await sql.query<PositionRow>(
    `SELECT e.transaction_id::text AS transaction_id, e.position::text AS position
     FROM events e
     WHERE e.transaction_id < pg_snapshot_xmin(pg_current_snapshot()) AND ${SELECTED}
     ORDER BY e.transaction_id DESC, e.position DESC
     LIMIT 1`,
    selection,
  );
  const row = rows[0];
  return row && encodePostgresCheckpoint({ transactionId: row.transaction_id, position: row.position });
}

/**
 * Hashes the log up to the checkpoint into a tree and marks the selected leaves (one bit each), then
 * insists that the tree is the one the checkpoint signed: an export must never hand out proofs that do
 * not verify.
 */
async function buildTree(
  sql: SqlExecutor,
  checkpoint: SignedCheckpoint,
  selection: readonly unknown[],
  pageSize: number,
  onProgress: AuditExportOptions['onProgress'],
): Promise<{ tree: PackedMerkleTree; selected: Uint8Array }> {
  const tree = new PackedMerkleTree(checkpoint.leafCount);
  const selected = new Uint8Array(Math.ceil(checkpoint.leafCount / 8));
  const end = decodePostgresCheckpoint(checkpoint.upTo);
  let cursor: PostgresLogPosition = decodePostgresCheckpoint('');
  const mismatch = (what: string) =>
    new CheckpointMismatchError(
      `the event log no longer matches signed checkpoint #${checkpoint.sequence}: ${what}. ` +
        'Run `npm run tally -- audit verify` to find the broken link.',
    );
  while (checkpoint.upTo !== '') {
    const { rows } = await sql.query<TreeRow>(
      `SELECT e.transaction_id::text AS transaction_id, e.position::text AS position,
         encode(e.hash, 'hex') AS hash, (${SELECTED}) AS selected
       FROM events e
       WHERE (e.transaction_id, e.position) > ($4::xid8, $5::bigint)
         AND (e.transaction_id, e.position) <= ($6::xid8, $7::bigint)
       ORDER BY e.transaction_id, e.position
       LIMIT $8`,
      [...selection, cursor.transactionId, cursor.position, end.transactionId, end.position, pageSize],
    );
    for (const row of rows) {
      if (tree.appended >= tree.size)
        throw mismatch(`more than ${tree.size} events lie at or before ${checkpoint.upTo}`);
      if (row.hash === null) throw mismatch(`event at ${row.position} has no hash`);
      if (row.selected) {
        const index = tree.appended;
        selected[index >> 3] = (selected[index >> 3] ?? 0) | (1 << (index & 7));
      }
      tree.append(Buffer.from(row.hash, 'hex'));
    }
    onProgress?.('tree', tree.appended, tree.size);
    const lastRow = rows.at(-1);
    if (!lastRow || rows.length < pageSize) break;
    cursor = { transactionId: lastRow.transaction_id, position: lastRow.position };
  }
  if (tree.appended !== tree.size) {
    throw mismatch(`${tree.appended} events lie at or before its position, it signed ${tree.size}`);
  }
  tree.seal();
  if (tree.root().toString('hex') !== checkpoint.root) throw mismatch('the Merkle root differs');
  return { tree, selected };
}

function toExported(row: EventRow, leafIndex: number, proof: string[]): ExportedEventRow {
  return {
    leafIndex,
    position: encodePostgresCheckpoint({ transactionId: row.transaction_id, position: row.position }),
    eventId: row.event_id,
    streamId: row.stream_id,
    version: row.version,
    type: row.type,
    dataJson: row.data,
    metadataJson: row.metadata,
    recordedAt: row.recorded_at.toISOString(),
    previousHash: row.previous_hash,
    hash: row.hash,
    proof,
  };
}

function nextSetBit(bits: Uint8Array, from: number, size: number): number {
  for (let i = from; i < size; i++) {
    const byte = bits[i >> 3] ?? 0;
    if (byte === 0) {
      i |= 7; // skip the rest of an empty byte
      continue;
    }
    if (byte & (1 << (i & 7))) return i;
  }
  return -1;
}

function countBits(bits: Uint8Array): number {
  let count = 0;
  for (const byte of bits) {
    let b = byte;
    while (b) {
      b &= b - 1;
      count++;
    }
  }
  return count;
}

/** Writes with backpressure: waits for 'drain' when the destination's buffer is full. */
async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}
