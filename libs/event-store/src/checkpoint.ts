import { type Checkpoint, START } from './event-store.port';

/**
 * Orders two checkpoints of the same store: negative when `a` was delivered before `b`, 0 when equal.
 * Every adapter encodes checkpoints as fixed-width strings, so this is plain string comparison.
 */
export function compareCheckpoints(a: Checkpoint, b: Checkpoint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The later of two checkpoints. */
export function maxCheckpoint(a: Checkpoint, b: Checkpoint): Checkpoint {
  return a < b ? b : a;
}

const DECIMAL = /^\d+$/;

/**
 * Encodes two unsigned integers as `<20 digits>.<20 digits>`: string order equals numeric pair order,
 * and 20 digits hold any 64-bit unsigned value.
 */
export function encodePair(major: bigint | string, minor: bigint | string): Checkpoint {
  const left = major.toString();
  const right = minor.toString();
  if (!DECIMAL.test(left) || !DECIMAL.test(right) || left.length > 20 || right.length > 20) {
    throw new RangeError(`Cannot encode checkpoint from ${left} and ${right}`);
  }
  return `${left.padStart(20, '0')}.${right.padStart(20, '0')}`;
}

const PAIR = /^(\d{20})\.(\d{20})$/;

/** Decodes {@link encodePair}; START decodes to `[0n, 0n]`. Throws on anything else. */
export function decodePair(checkpoint: Checkpoint): readonly [bigint, bigint] {
  if (checkpoint === START) return [0n, 0n];
  const match = PAIR.exec(checkpoint);
  if (!match) throw new RangeError(`Not a checkpoint of this store: ${JSON.stringify(checkpoint)}`);
  const [, major = '0', minor = '0'] = match;
  return [BigInt(major), BigInt(minor)];
}
