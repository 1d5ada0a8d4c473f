import type { SqlClient, SqlExecutor } from '@tally/database';
import {
  decodePostgresCheckpoint,
  encodePostgresCheckpoint,
  type PostgresLogPosition,
} from '@tally/event-store';
import { type SignedCheckpoint, type StoredCheckpoint, checkpointMessage } from './checkpoint-format';
import { type FrontierPeak, MerkleFrontier } from './merkle';
import type { CheckpointSigner } from './signing-key';

/** Events read per round trip while hashing the log: bounded memory whatever its size. */
export const LOG_PAGE_SIZE = 50_000;

// Any fixed number: one checkpoint at a time per database, whichever process asks.
const CHECKPOINT_LOCK = 7_341_005;

export interface CreateCheckpointOptions {
  /** The clock (injected for tests). */
  readonly now?: () => Date;
  /** Events read per round trip (default {@link LOG_PAGE_SIZE}). */
  readonly pageSize?: number;
}

/**
 * Signs the global log up to its current gap-safe head (the events `readAll` can deliver now): extends the
 * previous checkpoint's frontier by every event after it, in delivery order, signs the new root and stores
 * it. When no event arrived since the last checkpoint it returns that one and stores nothing.
 */
export async function createCheckpoint(
  sql: SqlClient,
  signer: CheckpointSigner,
  options: CreateCheckpointOptions = {},
): Promise<SignedCheckpoint> {
  const now = options.now ?? (() => new Date());
  return sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [CHECKPOINT_LOCK]);
    const previous = await lastStoredCheckpoint(tx);
    const head = await gapSafeHead(tx);
    if (head === undefined || (previous !== undefined && head <= previous.upTo)) {
      if (previous) return withoutFrontier(previous);
    }
    const frontier = MerkleFrontier.fromJSON(previous?.frontier ?? []);
    let upTo = previous?.upTo ?? '';
    if (head !== undefined) {
      await readLeafHashes(
        tx,
        upTo,
        head,
        (leaves, count) => {
          frontier.appendLeafHashes(leaves, count);
        },
        options.pageSize,
      );
      upTo = head;
    }
    const unsigned = {
      sequence: (previous?.sequence ?? 0) + 1,
      upTo,
      leafCount: frontier.size,
      root: frontier.root().toString('hex'),
      createdAt: now().toISOString(),
    };
    const checkpoint: SignedCheckpoint = {
      ...unsigned,
      keyId: signer.keyId,
      publicKey: signer.publicKey,
      signature: signer.sign(checkpointMessage(unsigned)),
    };
    await tx.query(
      `INSERT INTO audit_checkpoints
         (sequence, up_to, leaf_count, root, frontier, created_at, key_id, public_key, signature)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9)`,
      [
        checkpoint.sequence,
        checkpoint.upTo,
        checkpoint.leafCount,
        checkpoint.root,
        JSON.stringify(frontier.toJSON()),
        checkpoint.createdAt,
        checkpoint.keyId,
        checkpoint.publicKey,
        checkpoint.signature,
      ],
    );
    return checkpoint;
  });
}

/** Every stored checkpoint from `fromSequence` on (all when omitted), oldest first, without frontiers. */
export async function listCheckpoints(sql: SqlExecutor, fromSequence = 1): Promise<SignedCheckpoint[]> {
  const { rows } = await sql.query<CheckpointRow>(
    `SELECT ${SIGNED_COLUMNS} FROM audit_checkpoints WHERE sequence >= $1 ORDER BY sequence`,
    [fromSequence],
  );
  return rows.map(toSigned);
}

/** One stored checkpoint with its frontier, or undefined. */
export async function readCheckpoint(
  sql: SqlExecutor,
  sequence: number,
): Promise<StoredCheckpoint | undefined> {
  const { rows } = await sql.query<CheckpointRow & { frontier: FrontierPeak[] }>(
    `SELECT ${SIGNED_COLUMNS}, frontier FROM audit_checkpoints WHERE sequence = $1`,
    [sequence],
  );
  const row = rows[0];
  return row ? { ...toSigned(row), frontier: row.frontier } : undefined;
}

/**
 * The first checkpoint whose range includes `position` (the smallest tree that proves every event up to
 * it); with no position, the latest checkpoint. Undefined when none covers it (or none was made yet).
 */
export async function coveringCheckpoint(
  sql: SqlExecutor,
  position: string | undefined,
): Promise<SignedCheckpoint | undefined> {
  const { rows } = await sql.query<CheckpointRow>(
    `SELECT ${SIGNED_COLUMNS}
     FROM audit_checkpoints
     ${position === undefined ? 'ORDER BY sequence DESC' : 'WHERE up_to >= $1 ORDER BY sequence'}
     LIMIT 1`,
    position === undefined ? [] : [position],
  );
  const row = rows[0];
  return row && toSigned(row);
}

/** The latest checkpoint, or undefined when none was made yet. */
export async function lastCheckpoint(sql: SqlExecutor): Promise<SignedCheckpoint | undefined> {
  const stored = await lastStoredCheckpoint(sql);
  return stored && withoutFrontier(stored);
}

// The cursor columns are renamed and qualified: an ORDER BY on an output column named like the input
// would sort the text (so '999999' after '1000000') and page backwards.
// The last key of the next page: `$5` keys ahead in delivery order (an index scan of the primary key).
const LEAF_PAGE_END = `SELECT e.transaction_id::text AS transaction_id, e.position::text AS position
FROM events e
WHERE (e.transaction_id, e.position) > ($1::xid8, $2::bigint)
  AND (e.transaction_id, e.position) <= ($3::xid8, $4::bigint)
ORDER BY e.transaction_id, e.position
OFFSET $5 - 1 LIMIT 1`;

// One page of leaves between two known keys, in delivery order: the RFC 6962 leaf hashes (SHA-256 of
// 0x00 || event hash), computed by the database and concatenated into one bytea, so that a page costs one
// value to decode instead of one row object and hex string per event. The LIMIT keeps the planner on the
// primary key (a range of two row comparisons is estimated far too wide, and it would scan the table).
const LEAF_PAGE = `SELECT count(*)::int AS leaves,
  string_agg(sha256('\\x00'::bytea || p.hash), ''::bytea ORDER BY p.transaction_id, p.position) AS hashes
FROM (
  SELECT e.transaction_id, e.position, e.hash FROM events e
  WHERE (e.transaction_id, e.position) > ($1::xid8, $2::bigint)
    AND (e.transaction_id, e.position) <= ($3::xid8, $4::bigint)
  ORDER BY e.transaction_id, e.position
  LIMIT $5
) p`;

/**
 * Calls `onPage` with the leaf hashes of the events after `after` up to and including `upTo` (event store
 * checkpoints; '' = the start), in delivery order, `pageSize` at a time, as one buffer of 32-byte hashes.
 * With `concurrency` above 1 (and a pooled `sql`), that many pages are read at once on separate
 * connections while `onPage` folds the earlier ones; pages still reach `onPage` one at a time, in order.
 */
export async function readLeafHashes(
  sql: SqlExecutor,
  after: string,
  upTo: string,
  onPage: (leaves: Buffer, count: number) => void,
  pageSize = LOG_PAGE_SIZE,
  concurrency = 1,
): Promise<void> {
  const end = decodePostgresCheckpoint(upTo);
  let lower: PostgresLogPosition | undefined = decodePostgresCheckpoint(after);
  // Page bounds are taken one after another (each from the previous one's end), the pages themselves at
  // once: finding a bound reads index keys only, reading a page hashes its rows.
  let bounds: Promise<unknown> = Promise.resolve();
  const nextPage = (): Promise<{ lower: PostgresLogPosition; upper: PostgresLogPosition } | undefined> => {
    const taken = bounds.then(async () => {
      if (lower === undefined) return undefined;
      const from = lower;
      const { rows } = await sql.query<{ transaction_id: string; position: string }>(LEAF_PAGE_END, [
        from.transactionId,
        from.position,
        end.transactionId,
        end.position,
        pageSize,
      ]);
      const row = rows[0];
      const upper = row ? { transactionId: row.transaction_id, position: row.position } : end;
      lower = row ? upper : undefined;
      return { lower: from, upper };
    });
    bounds = taken.catch(() => undefined);
    return taken;
  };
  const readPage = async (): Promise<
    { hashes: Buffer; leaves: number; lower: PostgresLogPosition } | undefined
  > => {
    const page = await nextPage();
    if (!page) return undefined;
    // The range holds `pageSize` events unless some were inserted into it since its bound was taken
    // (only a superuser can write below the horizon): then it is read again, whole, with room to spare.
    let limit = pageSize + 1;
    let rows: { leaves: number; hashes: Uint8Array | null }[];
    for (;;) {
      ({ rows } = await sql.query<{ leaves: number; hashes: Uint8Array | null }>(LEAF_PAGE, [
        page.lower.transactionId,
        page.lower.position,
        page.upper.transactionId,
        page.upper.position,
        limit,
      ]));
      if ((rows[0]?.leaves ?? 0) < limit) break;
      limit *= 2;
    }
    const leaves = rows[0]?.leaves ?? 0;
    const hashes = rows[0]?.hashes ?? new Uint8Array();
    return {
      hashes: Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength),
      leaves,
      lower: page.lower,
    };
  };
  const inFlight: Promise<Awaited<ReturnType<typeof readPage>>>[] = [];
  try {
    for (;;) {
      while (inFlight.length < Math.max(1, concurrency)) {
        const page = readPage();
        // Handled when its turn comes; until then a failure must not count as unhandled.
        page.catch(() => undefined);
        inFlight.push(page);
      }
      const page = await inFlight.shift();
      if (!page) return;
      if (page.hashes.length !== page.leaves * 32) {
        throw new Error(`events after ${encodeCursor(page.lower)} include one without a hash`);
      }
      if (page.leaves > 0) onPage(page.hashes, page.leaves);
    }
  } finally {
    // Whatever stopped the loop, no query is left running behind the caller.
    await Promise.allSettled(inFlight);
  }
}

function encodeCursor(cursor: PostgresLogPosition): string {
  return `${cursor.transactionId}/${cursor.position}`;
}

/** The position of the last event `readAll` can deliver now (as an event store checkpoint), if any. */
export async function gapSafeHead(sql: SqlExecutor): Promise<string | undefined> {
  const { rows } = await sql.query<{ transaction_id: string; position: string }>(
    `SELECT e.transaction_id::text AS transaction_id, e.position::text AS position
     FROM events e
     WHERE e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY e.transaction_id DESC, e.position DESC
     LIMIT 1`,
  );
  const row = rows[0];
  return row && encodePostgresCheckpoint({ transactionId: row.transaction_id, position: row.position });
}

interface CheckpointRow {
  sequence: string;
  up_to: string;
  leaf_count: string;
  root: string;
  created_at: Date;
  key_id: string;
  public_key: string;
  signature: string;
}

const SIGNED_COLUMNS = `sequence::text AS sequence, up_to, leaf_count::text AS leaf_count, root, created_at,
  key_id, public_key, signature`;

async function lastStoredCheckpoint(sql: SqlExecutor): Promise<StoredCheckpoint | undefined> {
  const { rows } = await sql.query<CheckpointRow & { frontier: FrontierPeak[] }>(
    `SELECT ${SIGNED_COLUMNS}, frontier FROM audit_checkpoints ORDER BY sequence DESC LIMIT 1`,
  );
  const row = rows[0];
  return row ? { ...toSigned(row), frontier: row.frontier } : undefined;
}

function toSigned(row: CheckpointRow): SignedCheckpoint {
  return {
    sequence: Number(row.sequence),
    upTo: row.up_to,
    leafCount: Number(row.leaf_count),
    root: row.root,
    createdAt: row.created_at.toISOString(),
    keyId: row.key_id,
    publicKey: row.public_key,
    signature: row.signature,
  };
}

function withoutFrontier(stored: StoredCheckpoint): SignedCheckpoint {
  const { frontier: _frontier, ...signed } = stored;
  return signed;
}
