import { InvalidAppendError } from './errors';
import type { AppendResult, Checkpoint, ExpectedVersion, NewEvent } from './event-store.port';

/** Versions are 32-bit in the Postgres adapter; no stream comes near. */
export const MAX_VERSION = 2_147_483_647;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// The hash chain's input is line-delimited (event-hash.ts), so its free-text fields hold no control characters.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * Checks what every adapter rejects before talking to its database, and returns the event ids in
 * lower case (as stores return them).
 */
export function validateAppend(
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedVersion,
): { ids: string[] } {
  if (streamId === '') throw new InvalidAppendError('Append needs a stream id');
  if (CONTROL_CHARACTER.test(streamId)) {
    throw new InvalidAppendError(
      `Append to ${JSON.stringify(streamId)}: the stream id holds a control character`,
    );
  }
  if (events.length === 0) throw new InvalidAppendError(`Append to ${streamId}: the batch is empty`);
  if (
    typeof expected === 'number'
      ? !Number.isInteger(expected) || expected < 0 || expected > MAX_VERSION
      : !['any', 'no_stream', 'stream_exists'].includes(expected)
  ) {
    throw new InvalidAppendError(`Append to ${streamId}: invalid expected version ${String(expected)}`);
  }
  for (const event of events) {
    if (CONTROL_CHARACTER.test(event.type)) {
      throw new InvalidAppendError(
        `Append to ${streamId}: event type ${JSON.stringify(event.type)} holds a control character`,
      );
    }
  }
  const ids = events.map((event) => event.eventId.toLowerCase());
  for (const id of ids) {
    if (!UUID.test(id)) throw new InvalidAppendError(`Append to ${streamId}: event id ${id} is not a UUID`);
  }
  if (new Set(ids).size !== ids.length) {
    throw new InvalidAppendError(`Append to ${streamId}: the batch holds the same event id twice`);
  }
  return { ids };
}

/** Where an event of the batch is already stored. */
export interface StoredCopy {
  readonly eventId: string;
  readonly streamId: string;
  readonly version: number;
  readonly checkpoint: Checkpoint;
}

/**
 * Decides an append whose events may already be stored: `undefined` when none is (a real conflict), the
 * original result when exactly this batch is stored in this stream (idempotent retry), and
 * {@link InvalidAppendError} when only some are, or elsewhere, or in another order.
 */
export function originalResult(
  streamId: string,
  ids: readonly string[],
  copies: readonly StoredCopy[],
): AppendResult | undefined {
  if (copies.length === 0) return undefined;
  const byId = new Map(copies.map((copy) => [copy.eventId.toLowerCase(), copy]));
  const stored = ids.flatMap((id) => byId.get(id) ?? []);
  const first = stored[0];
  const last = stored.at(-1);
  const isOriginalBatch =
    stored.length === ids.length &&
    stored.every((copy, i) => copy.streamId === streamId && copy.version === (first?.version ?? 0) + i);
  if (!isOriginalBatch || !last) {
    const where = [...new Set(copies.map((copy) => copy.streamId))].join(', ');
    throw new InvalidAppendError(
      `Append to ${streamId}: ${stored.length} of ${ids.length} events are already stored (in ${where}) ` +
        'but not as this exact batch; retry with exactly the original events or with new event ids',
    );
  }
  return { nextVersion: last.version, checkpoint: last.checkpoint };
}
