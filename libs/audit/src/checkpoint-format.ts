import type { FrontierPeak } from './merkle';

/**
 * A signed checkpoint (docs/audit.md): the RFC 6962 root over the first `leafCount` events of the global
 * log, the last of which is at `upTo`, signed with the operator's Ed25519 key.
 */
export interface SignedCheckpoint {
  /** 1, 2, 3, … in creation order. */
  readonly sequence: number;
  /** The event store checkpoint (position) of the last covered event; '' when the log was empty. */
  readonly upTo: string;
  readonly leafCount: number;
  /** Hex. */
  readonly root: string;
  /** ISO-8601 UTC with milliseconds. */
  readonly createdAt: string;
  /** First 16 hex digits of SHA-256 over the raw public key. */
  readonly keyId: string;
  /** The raw 32-byte Ed25519 public key, base64. */
  readonly publicKey: string;
  /** Ed25519 over {@link checkpointMessage}, base64. */
  readonly signature: string;
}

/** A checkpoint as stored: plus the right edge of its tree, so that the next one extends it. */
export interface StoredCheckpoint extends SignedCheckpoint {
  readonly frontier: readonly FrontierPeak[];
}

/** The exact bytes (UTF-8) a checkpoint's signature covers. */
export function checkpointMessage(
  checkpoint: Omit<SignedCheckpoint, 'keyId' | 'publicKey' | 'signature'>,
): string {
  return [
    'tally-checkpoint/v1',
    String(checkpoint.sequence),
    checkpoint.upTo,
    String(checkpoint.leafCount),
    checkpoint.root,
    checkpoint.createdAt,
  ].join('\n');
}

/** The first broken link of one stream, as `audit verify` reports it. */
export interface StreamBreak {
  readonly streamId: string;
  readonly version: number;
  /**
   * `altered`: the event no longer hashes to its stored hash (data, metadata, type, time or hash edited);
   * `missing`: the version is absent (a deleted event) and the next one does not chain to its predecessor;
   * `reordered`: the event's hash is valid for another version of the stream (events swapped or renumbered).
   */
  readonly kind: 'altered' | 'missing' | 'reordered';
  readonly message: string;
}

/** A checkpoint that the log no longer matches. */
export interface CheckpointBreak {
  readonly sequence: number;
  /**
   * `signature`: not signed by the key it names (or the row was edited); `count`: fewer or more events
   * now lie at or below its position (deleted or inserted events); `root`: same count, different root
   * (events edited or their global order changed).
   */
  readonly kind: 'signature' | 'count' | 'root';
  readonly message: string;
}
