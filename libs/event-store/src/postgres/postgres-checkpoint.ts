import { decodePair, encodePair } from '../checkpoint';
import type { Checkpoint } from '../event-store.port';

/** Where an event sits in the Postgres adapter's delivery order: its transaction, then its position. */
export interface PostgresLogPosition {
  /** `pg_current_xact_id()` of the appending transaction, as decimal text. */
  readonly transactionId: string;
  /** The `events.position` identity value, as decimal text. */
  readonly position: string;
}

/** Encodes (transaction id, position) so that string order is delivery order. */
export function encodePostgresCheckpoint(at: PostgresLogPosition): Checkpoint {
  return encodePair(at.transactionId, at.position);
}

/** Decodes a Postgres checkpoint; START decodes to (0, 0), which precedes every event. */
export function decodePostgresCheckpoint(checkpoint: Checkpoint): PostgresLogPosition {
  const [transactionId, position] = decodePair(checkpoint);
  return { transactionId: transactionId.toString(), position: position.toString() };
}
