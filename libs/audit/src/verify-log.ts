import type { SqlClient, SqlExecutor } from '@tally/database';
import { decodePostgresCheckpoint, type PostgresLogPosition } from '@tally/event-store';
import type { CheckpointBreak, SignedCheckpoint, StreamBreak } from './checkpoint-format';
import { LOG_PAGE_SIZE, listCheckpoints, readCheckpoint, readLeafHashes } from './checkpoints';
import { MerkleFrontier } from './merkle';
import { verifyCheckpointSignature } from './signing-key';

export interface VerifyLogOptions {
  /** Check this stream's chain only (no checkpoints: their roots cover the whole log). */
  readonly streamId?: string;
  /**
   * Start at this checkpoint: trust its signed frontier (after checking its signature), check the
   * checkpoints after it and the chains of the events after it.
   */
  readonly fromCheckpoint?: number;
  /** The operator's key id: checkpoints signed by another key are listed in `foreignKeys`. */
  readonly expectedKeyId?: string;
  /**
   * Called after every page: events whose chain links were checked (`chains`), then events hashed into
   * the checkpoints' trees (`checkpoints`), each with the total expected for that phase.
   */
  readonly onProgress?: (progress: VerifyProgress) => void;
  /** Events per page (default: 10,000 for chains, 50,000 for checkpoint trees); memory grows with it. */
  readonly pageSize?: number;
  /** Store the run in `audit_verifications` (default true). */
  readonly record?: boolean;
  readonly now?: () => Date;
}

export interface VerifyProgress {
  readonly phase: 'chains' | 'checkpoints';
  readonly done: number;
  readonly total: number;
}

/** What `audit verify` found. */
export interface VerificationReport {
  readonly ok: boolean;
  /** `all`, `stream:<id>` or `from:<sequence>`. */
  readonly scope: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Events whose hash and link were recomputed. */
  readonly eventsChecked: number;
  readonly streamsChecked: number;
  readonly checkpointsChecked: number;
  /** The first broken link of each broken stream, by stream id. */
  readonly streams: readonly StreamBreak[];
  /** Every checkpoint the log no longer matches, by sequence. */
  readonly checkpoints: readonly CheckpointBreak[];
  /** The newest checkpoint whose signature, count and root all hold. */
  readonly lastVerifiedCheckpoint?: number;
  /** Warnings, not breaks: checkpoints validly signed, but by a key other than the configured one. */
  readonly foreignKeys: readonly { readonly sequence: number; readonly keyId: string }[];
}

/** `--from` names a checkpoint that does not exist. */
export class UnknownCheckpointError extends Error {
  override readonly name = 'UnknownCheckpointError';
  constructor(readonly sequence: number) {
    super(`There is no checkpoint ${sequence}.`);
  }
}

// Version 1 links to the genesis hash (see libs/event-store/src/event-hash.ts).
const GENESIS = `decode(repeat('0', 64), 'hex')`;
const HASH_OF = (event: 'e', previousHash: string) =>
  `event_store_event_hash(${previousHash}, ${event}.stream_id, ${event}.version, ${event}.type, ${event}.data, ${event}.metadata, ${event}.recorded_at)`;

// How far from its place a reordered event is looked for (candidate versions and predecessors on each
// side). Wider moves are reported as `altered`: still a break, only named less precisely.
const REORDER_WINDOW = 64;

interface ChainFailure {
  readonly stream_id: string;
  readonly version: number;
  readonly previous_version: number | null;
}

interface PageResult {
  readonly events: number;
  readonly streams: number;
  readonly failures: ChainFailure[];
}

// Every failing link of the page's streams (the caller keeps the first of each): a stored hash that is
// not the hash of the event over its predecessor's stored hash, or a version that does not follow its
// predecessor's. One pass over the windowed rows; a page of an intact log has none.
const PAGE_SUMMARY = `SELECT count(*)::int AS events,
  count(*) FILTER (WHERE c.previous_version IS NULL)::int AS streams,
  coalesce(
    json_agg(json_build_object('stream_id', c.stream_id, 'version', c.version, 'previous_version', c.previous_version))
      FILTER (WHERE NOT c.chained OR c.version <> coalesce(c.previous_version, 0) + 1),
    '[]'::json
  ) AS failures`;

// The window reads the page's rows in the order of `events_stream_version` (stream, version), so they need
// no sort (see verifyChainsByStreams).
const CHAINS_BY_STREAMS = (where: string) => `${PAGE_SUMMARY}
FROM (
  SELECT e.stream_id, e.version,
    lag(e.version) OVER w AS previous_version,
    coalesce(e.hash = ${HASH_OF('e', `coalesce(lag(e.hash) OVER w, ${GENESIS})`)}, false) AS chained
  FROM events e
  WHERE ${where}
  WINDOW w AS (PARTITION BY e.stream_id ORDER BY e.version)
) c`;

// Events per chain page (whole streams, so about this many) and pages checked at once.
const CHAIN_PAGE_SIZE = 10_000;
const CHAIN_WORKERS = 4;
// Leaf pages read at once (on PostgreSQL) while this process folds the earlier ones into the tree.
const LEAF_READERS = 2;

// About CHAIN_PAGE_SIZE events of whole streams: the stream id that many index entries ahead.
const NEXT_STREAM_BOUND = `SELECT stream_id FROM events WHERE stream_id > $1 ORDER BY stream_id OFFSET $2 LIMIT 1`;

// Events after a position, in delivery order, each linked to its stream predecessor by index lookup.
const CHAINS_AFTER = `WITH checked AS MATERIALIZED (
  SELECT e.transaction_id, e.position, e.stream_id, e.version, p.version AS previous_version,
    coalesce(e.hash = ${HASH_OF('e', `coalesce(p.hash, ${GENESIS})`)}, false) AS chained
  FROM events e
  LEFT JOIN LATERAL (
    SELECT p.version, p.hash FROM events p
    WHERE p.stream_id = e.stream_id AND p.version < e.version
    ORDER BY p.version DESC LIMIT 1
  ) p ON true
  WHERE (e.transaction_id, e.position) > ($1::xid8, $2::bigint)
    AND (e.transaction_id, e.position) <= ($3::xid8, $4::bigint)
  ORDER BY e.transaction_id, e.position
  LIMIT $5
)
SELECT (SELECT count(*) FROM checked)::int AS events,
  (SELECT c.transaction_id::text AS t FROM checked c ORDER BY c.transaction_id DESC, c.position DESC LIMIT 1) AS last_transaction_id,
  (SELECT c.position::text AS p FROM checked c ORDER BY c.transaction_id DESC, c.position DESC LIMIT 1) AS last_position,
  (SELECT coalesce(json_agg(f), '[]'::json) FROM (
    SELECT stream_id, version, previous_version FROM checked
    WHERE NOT chained OR version <> coalesce(previous_version, 0) + 1
  ) f) AS failures`;

// Is the event's stored hash its hash as another version of its stream, or after another predecessor?
const REORDERED_AS = `SELECT g.v AS version
FROM events r
CROSS JOIN LATERAL (
  SELECT p.hash FROM events p
  WHERE p.stream_id = r.stream_id AND p.version <> r.version
    AND p.version BETWEEN r.version - $3 AND r.version + $3
  UNION ALL SELECT ${GENESIS}
) p
CROSS JOIN LATERAL generate_series(greatest(1, r.version - $3), r.version + $3) AS g(v)
WHERE r.stream_id = $1 AND r.version = $2
  AND event_store_event_hash(p.hash, r.stream_id, g.v, r.type, r.data, r.metadata, r.recorded_at) = r.hash
LIMIT 1`;

/**
 * Recomputes the hash chain of every stream (or one) and the Merkle roots of the signed checkpoints,
 * and reports the first broken link per stream and every checkpoint the log no longer matches. Works
 * page by page, so memory stays flat however long the log; records the run in `audit_verifications`.
 */
export async function verifyLog(sql: SqlClient, options: VerifyLogOptions = {}): Promise<VerificationReport> {
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const from =
    options.fromCheckpoint === undefined ? undefined : await readCheckpoint(sql, options.fromCheckpoint);
  if (options.fromCheckpoint !== undefined && !from) throw new UnknownCheckpointError(options.fromCheckpoint);
  const scope =
    options.streamId !== undefined ? `stream:${options.streamId}` : from ? `from:${from.sequence}` : 'all';

  const checkpoints =
    options.streamId !== undefined ? [] : await listCheckpoints(sql, (from?.sequence ?? 0) + 1);
  const leavesTotal = Math.max(0, (checkpoints.at(-1)?.leafCount ?? 0) - (from?.leafCount ?? 0));
  const chainTotal = await countChainEvents(sql, options.streamId, from?.upTo);
  // On PostgreSQL the chain pass (hashing in the database) and the checkpoint pass (Merkle trees in this
  // process) run at once on separate connections; PGlite has one connection, so there they run in turn.
  // Checkpoint progress is held back until the chains are done, so callers still see the chain phase,
  // then the checkpoint phase.
  const concurrent = sql.dialect !== 'pglite' && options.streamId === undefined;
  let chainsDone = !concurrent;
  const heldBack: VerifyProgress[] = [];
  const emit = (progress: VerifyProgress) => {
    if (progress.phase === 'checkpoints' && !chainsDone) heldBack.push(progress);
    else options.onProgress?.(progress);
  };
  const progressOf = (phase: VerifyProgress['phase'], total: number) => {
    let done = 0;
    emit({ phase, done, total });
    return (more: number) => {
      done += more;
      emit({ phase, done, total: Math.max(total, done) });
    };
  };

  const chainPass = async () => {
    const progress = progressOf('chains', chainTotal);
    const result =
      options.streamId !== undefined
        ? await verifyChainsByStreams(sql, 'e.stream_id = $1', [options.streamId], progress)
        : from
          ? await verifyChainsAfter(sql, from.upTo, progress, options.pageSize ?? LOG_PAGE_SIZE)
          : await verifyAllChains(sql, progress, options.pageSize ?? CHAIN_PAGE_SIZE);
    chainsDone = true;
    for (const held of heldBack.splice(0)) options.onProgress?.(held);
    return result;
  };
  const checkpointPass = () =>
    options.streamId === undefined
      ? verifyCheckpoints(
          sql,
          from,
          checkpoints,
          leavesTotal,
          progressOf,
          options,
          concurrent ? LEAF_READERS : 1,
        )
      : Promise.resolve({ breaks: [], foreignKeys: [], checked: 0 } satisfies CheckpointsResult);

  let chains: ChainsResult;
  let checked: CheckpointsResult;
  if (concurrent) {
    // Both settle before either failure is thrown, so no query is left running behind the caller.
    const [chainOutcome, checkpointOutcome] = await Promise.allSettled([chainPass(), checkpointPass()]);
    if (chainOutcome.status === 'rejected') throw chainOutcome.reason;
    if (checkpointOutcome.status === 'rejected') throw checkpointOutcome.reason;
    chains = chainOutcome.value;
    checked = checkpointOutcome.value;
  } else {
    chains = await chainPass();
    checked = await checkpointPass();
  }
  const { breaks: checkpointBreaks, foreignKeys, lastVerified, checked: checkpointsChecked } = checked;

  const report: VerificationReport = {
    ok: chains.breaks.length === 0 && checkpointBreaks.length === 0,
    scope,
    startedAt,
    finishedAt: now().toISOString(),
    eventsChecked: chains.events,
    streamsChecked: chains.streams,
    checkpointsChecked,
    streams: chains.breaks,
    checkpoints: checkpointBreaks,
    ...(lastVerified === undefined ? {} : { lastVerifiedCheckpoint: lastVerified }),
    foreignKeys,
  };
  if (options.record !== false) await recordVerification(sql, report);
  return report;
}

/** The most recent verification runs, newest first. */
export async function recentVerifications(
  sql: SqlExecutor,
  limit = 20,
): Promise<
  {
    id: number;
    startedAt: string;
    finishedAt: string;
    scope: string;
    checkpointSequence: number | null;
    eventsChecked: number;
    streamsChecked: number;
    ok: boolean;
    breaks: { streams: StreamBreak[]; checkpoints: CheckpointBreak[] };
  }[]
> {
  const { rows } = await sql.query<{
    id: string;
    started_at: Date;
    finished_at: Date;
    scope: string;
    checkpoint_sequence: string | null;
    events_checked: string;
    streams_checked: string;
    ok: boolean;
    breaks: { streams: StreamBreak[]; checkpoints: CheckpointBreak[] };
  }>(
    `SELECT id::text AS id, started_at, finished_at, scope, checkpoint_sequence::text AS checkpoint_sequence,
       events_checked::text AS events_checked, streams_checked::text AS streams_checked, ok, breaks
     FROM audit_verifications ORDER BY finished_at DESC, id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at.toISOString(),
    scope: row.scope,
    checkpointSequence: row.checkpoint_sequence === null ? null : Number(row.checkpoint_sequence),
    eventsChecked: Number(row.events_checked),
    streamsChecked: Number(row.streams_checked),
    ok: row.ok,
    breaks: row.breaks,
  }));
}

interface CheckpointsResult {
  breaks: CheckpointBreak[];
  foreignKeys: { sequence: number; keyId: string }[];
  lastVerified?: number;
  checked: number;
}

/**
 * Rebuilds the Merkle tree over the log from the start (or from `from`'s trusted frontier) and checks
 * each checkpoint's signature, leaf count and root against it, in sequence order.
 */
async function verifyCheckpoints(
  sql: SqlExecutor,
  from: (SignedCheckpoint & { frontier: readonly { size: number; hash: string }[] }) | undefined,
  checkpoints: readonly SignedCheckpoint[],
  leavesTotal: number,
  progressOf: (phase: VerifyProgress['phase'], total: number) => (more: number) => void,
  options: VerifyLogOptions,
  leafReaders: number,
): Promise<CheckpointsResult> {
  const result: CheckpointsResult = { breaks: [], foreignKeys: [], checked: 0 };
  let frontier = new MerkleFrontier();
  let after = '';
  let startable = true;
  const hashed = progressOf('checkpoints', leavesTotal);
  if (from) {
    result.checked += 1;
    const problem = storedCheckpointProblem(from);
    if (problem) {
      result.breaks.push({ sequence: from.sequence, kind: 'signature', message: problem });
      startable = false;
    } else {
      frontier = MerkleFrontier.fromJSON(from.frontier);
      after = from.upTo;
      result.lastVerified = from.sequence;
      noteKey(from, options.expectedKeyId, result.foreignKeys);
    }
  }
  for (const checkpoint of startable ? checkpoints : []) {
    result.checked += 1;
    if (checkpoint.upTo > after) {
      await readLeafHashes(
        sql,
        after,
        checkpoint.upTo,
        (leaves, count) => {
          frontier.appendLeafHashes(leaves, count);
          hashed(count);
        },
        options.pageSize ?? LOG_PAGE_SIZE,
        leafReaders,
      );
      after = checkpoint.upTo;
    }
    const broken = checkpointBreak(checkpoint, frontier);
    if (broken) {
      result.breaks.push(broken);
    } else {
      result.lastVerified = checkpoint.sequence;
      noteKey(checkpoint, options.expectedKeyId, result.foreignKeys);
    }
  }
  return result;
}

interface ChainsResult {
  events: number;
  streams: number;
  breaks: StreamBreak[];
}

async function verifyAllChains(
  sql: SqlClient,
  progress: (events: number) => void,
  pageSize: number,
): Promise<ChainsResult> {
  // Hashing is the cost (canonical JSON of every event), so pages run on several connections at once;
  // page bounds are taken one after another so that pages never overlap. PGlite has one connection.
  const workers = sql.dialect === 'pglite' ? 1 : CHAIN_WORKERS;
  // Stream ids are never empty, so '' precedes them all.
  let lower: string | undefined = '';
  let bounds = Promise.resolve();
  const nextPage = (): Promise<{ lower: string; upper: string | undefined } | undefined> => {
    const taken = bounds.then(async () => {
      if (lower === undefined) return undefined;
      const from = lower;
      const { rows } = await sql.query<{ stream_id: string }>(NEXT_STREAM_BOUND, [from, pageSize]);
      lower = rows[0]?.stream_id;
      return { lower: from, upper: lower };
    });
    bounds = taken.then(
      () => undefined,
      () => undefined,
    );
    return taken;
  };
  const result: ChainsResult = { events: 0, streams: 0, breaks: [] };
  const work = async () => {
    for (let page = await nextPage(); page; page = await nextPage()) {
      const checked = await verifyChainsByStreams(
        sql,
        page.upper === undefined ? 'e.stream_id > $1' : 'e.stream_id > $1 AND e.stream_id <= $2',
        page.upper === undefined ? [page.lower] : [page.lower, page.upper],
        progress,
      );
      result.events += checked.events;
      result.streams += checked.streams;
      result.breaks.push(...checked.breaks);
    }
  };
  await Promise.all(Array.from({ length: workers }, work));
  result.breaks.sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0));
  return result;
}

async function verifyChainsByStreams(
  sql: SqlClient,
  where: string,
  params: readonly unknown[],
  progress: (events: number) => void,
): Promise<ChainsResult> {
  // A page's window needs its rows by (stream, version), which an index scan of events_stream_version
  // yields as they are. The planner often prefers a bitmap scan (it misjudges how many events a range of
  // stream ids holds) and then sorts whole rows with the database's collation: a third more time per page.
  const page = await sql.transaction(async (tx) => {
    await tx.query(
      `SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_seqscan', 'off', true),
         set_config('work_mem', '64MB', true)`,
    );
    const { rows } = await tx.query<PageResult>(CHAINS_BY_STREAMS(where), params);
    return rows[0] ?? { events: 0, streams: 0, failures: [] };
  });
  progress(page.events);
  const first = new Map<string, ChainFailure>();
  keepFirstOfEachStream(first, page.failures);
  return { events: page.events, streams: page.streams, breaks: await classifyAll(sql, byStreamId(first)) };
}

async function verifyChainsAfter(
  sql: SqlClient,
  after: string,
  progress: (events: number) => void,
  pageSize: number,
): Promise<ChainsResult> {
  const end = await lastPosition(sql);
  if (end === undefined) return { events: 0, streams: 0, breaks: [] };
  const start = decodePostgresCheckpoint(after);
  let cursor: PostgresLogPosition = start;
  const first = new Map<string, ChainFailure>();
  let events = 0;
  for (;;) {
    const { rows } = await sql.query<
      PageResult & { last_transaction_id: string | null; last_position: string | null }
    >(CHAINS_AFTER, [cursor.transactionId, cursor.position, end.transactionId, end.position, pageSize]);
    const page = rows[0];
    if (!page || page.events === 0 || page.last_transaction_id === null || page.last_position === null) break;
    events += page.events;
    progress(page.events);
    keepFirstOfEachStream(first, page.failures);
    cursor = { transactionId: page.last_transaction_id, position: page.last_position };
    if (page.events < pageSize) break;
  }
  const { rows } = await sql.query<{ streams: number }>(
    `SELECT count(DISTINCT stream_id)::int AS streams FROM events
     WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
       AND (transaction_id, position) <= ($3::xid8, $4::bigint)`,
    [start.transactionId, start.position, end.transactionId, end.position],
  );
  return {
    events,
    streams: rows[0]?.streams ?? 0,
    breaks: await classifyAll(sql, byStreamId(first)),
  };
}

/** Keeps, per stream, the lowest failing version seen so far. */
function keepFirstOfEachStream(first: Map<string, ChainFailure>, failures: readonly ChainFailure[]): void {
  for (const failure of failures) {
    const known = first.get(failure.stream_id);
    if (!known || failure.version < known.version) first.set(failure.stream_id, failure);
  }
}

function byStreamId(first: ReadonlyMap<string, ChainFailure>): ChainFailure[] {
  return [...first.values()].sort((a, b) => (a.stream_id < b.stream_id ? -1 : 1));
}

async function classifyAll(sql: SqlExecutor, failures: readonly ChainFailure[]): Promise<StreamBreak[]> {
  const breaks: StreamBreak[] = [];
  for (const failure of failures) breaks.push(await classify(sql, failure));
  return breaks;
}

/** Names the first failing link of a stream: a gap, an event moved within its stream, or an edit. */
async function classify(sql: SqlExecutor, failure: ChainFailure): Promise<StreamBreak> {
  const { stream_id: streamId, version } = failure;
  const expected = (failure.previous_version ?? 0) + 1;
  if (version !== expected) {
    const absent = expected === version - 1 ? `version ${expected}` : `versions ${expected}..${version - 1}`;
    return {
      streamId,
      version: expected,
      kind: 'missing',
      message: `${absent} of ${streamId} is missing: version ${version} follows ${failure.previous_version === null ? 'nothing' : `version ${failure.previous_version}`}`,
    };
  }
  const moved = await sql.query<{ version: number }>(REORDERED_AS, [streamId, version, REORDER_WINDOW]);
  const original = moved.rows[0]?.version;
  if (original !== undefined) {
    return {
      streamId,
      version,
      kind: 'reordered',
      message:
        original === version
          ? `the event at version ${version} of ${streamId} was chained after a different predecessor (events swapped)`
          : `the event at version ${version} of ${streamId} was hashed as version ${original} (events swapped or renumbered)`,
    };
  }
  return {
    streamId,
    version,
    kind: 'altered',
    message: `the event at version ${version} of ${streamId} no longer hashes to its stored hash (data, metadata, type, time or hash edited)`,
  };
}

/** Why a stored checkpoint cannot be trusted as a starting point, or undefined. */
function storedCheckpointProblem(
  checkpoint: SignedCheckpoint & { frontier: readonly { size: number; hash: string }[] },
): string | undefined {
  if (!verifyCheckpointSignature(checkpoint)) {
    return `checkpoint ${checkpoint.sequence} is not validly signed by key ${checkpoint.keyId}`;
  }
  try {
    const frontier = MerkleFrontier.fromJSON(checkpoint.frontier);
    if (frontier.size === checkpoint.leafCount && frontier.root().toString('hex') === checkpoint.root) {
      return undefined;
    }
  } catch {
    // A malformed frontier is an edited row, like a wrong one.
  }
  return `checkpoint ${checkpoint.sequence}'s stored frontier does not match its signed root and count`;
}

function checkpointBreak(
  checkpoint: SignedCheckpoint,
  frontier: { readonly size: number; root(): Buffer },
): CheckpointBreak | undefined {
  const { sequence } = checkpoint;
  if (!verifyCheckpointSignature(checkpoint)) {
    return {
      sequence,
      kind: 'signature',
      message: `checkpoint ${sequence} is not validly signed by key ${checkpoint.keyId} (the row was edited or signed by another key)`,
    };
  }
  if (frontier.size !== checkpoint.leafCount) {
    return {
      sequence,
      kind: 'count',
      message: `checkpoint ${sequence} signed ${checkpoint.leafCount} events up to ${checkpoint.upTo || 'the start'}; the log now holds ${frontier.size} there`,
    };
  }
  const root = frontier.root().toString('hex');
  if (root !== checkpoint.root) {
    return {
      sequence,
      kind: 'root',
      message: `checkpoint ${sequence} signed root ${checkpoint.root} over ${checkpoint.leafCount} events; the log now gives ${root} (events edited or reordered)`,
    };
  }
  return undefined;
}

function noteKey(
  checkpoint: SignedCheckpoint,
  expectedKeyId: string | undefined,
  foreignKeys: { sequence: number; keyId: string }[],
): void {
  if (expectedKeyId !== undefined && checkpoint.keyId !== expectedKeyId) {
    foreignKeys.push({ sequence: checkpoint.sequence, keyId: checkpoint.keyId });
  }
}

async function countChainEvents(
  sql: SqlExecutor,
  streamId: string | undefined,
  after: string | undefined,
): Promise<number> {
  if (streamId !== undefined) {
    const { rows } = await sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM events WHERE stream_id = $1',
      [streamId],
    );
    return rows[0]?.n ?? 0;
  }
  if (after !== undefined) {
    const position = decodePostgresCheckpoint(after);
    const { rows } = await sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM events WHERE (transaction_id, position) > ($1::xid8, $2::bigint)',
      [position.transactionId, position.position],
    );
    return rows[0]?.n ?? 0;
  }
  const { rows } = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  return rows[0]?.n ?? 0;
}

async function lastPosition(sql: SqlExecutor): Promise<PostgresLogPosition | undefined> {
  const { rows } = await sql.query<{ transaction_id: string; position: string }>(
    `SELECT transaction_id::text AS transaction_id, position::text AS position FROM events
     ORDER BY transaction_id DESC, position DESC LIMIT 1`,
  );
  const row = rows[0];
  return row && { transactionId: row.transaction_id, position: row.position };
}

async function recordVerification(sql: SqlExecutor, report: VerificationReport): Promise<void> {
  await sql.query(
    `INSERT INTO audit_verifications (started_at, finished_at, scope, checkpoint_sequence, events_checked,
       streams_checked, ok, breaks)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
    [
      report.startedAt,
      report.finishedAt,
      report.scope,
      report.lastVerifiedCheckpoint ?? null,
      report.eventsChecked,
      report.streamsChecked,
      report.ok,
      JSON.stringify({ streams: report.streams, checkpoints: report.checkpoints }),
    ],
  );
}
