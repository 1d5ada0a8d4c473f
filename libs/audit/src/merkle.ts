import { createHash, hash as digest } from 'node:crypto';

/**
 * Merkle trees over the global event log as RFC 6962 (Certificate Transparency) defines them, so that any
 * third party can check a root or an inclusion proof with a few lines of code (docs/audit.md):
 * - a leaf is one event's hash (32 bytes), in the order `readAll` delivers events;
 * - leaf hash = SHA-256(0x00 || event hash); node hash = SHA-256(0x01 || left || right);
 * - the tree over n > 1 leaves splits at k, the largest power of two below n: MTH(D[0:k]) and MTH(D[k:n]);
 * - the root of no leaves is SHA-256 of nothing.
 */
export function leafHash(eventHash: Buffer): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(eventHash).digest();
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

export const EMPTY_ROOT = createHash('sha256').digest();

const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

/** One perfect subtree on the right edge of the tree: `size` leaves (a power of two) and its hash. */
export interface FrontierPeak {
  readonly size: number;
  /** Hex. */
  readonly hash: string;
}

/**
 * The right edge of a growing tree: one perfect subtree per 1-bit of the leaf count, largest first. It
 * extends by one leaf in O(log n) and yields the RFC 6962 root of everything appended, which is what lets
 * a checkpoint build on the previous one instead of rehashing the whole log. Node hashes reuse one input
 * buffer and one-shot digests: on a million leaves that is most of the cost.
 */
export class MerkleFrontier {
  private readonly sizes: number[] = [];
  private readonly hashes: Buffer[] = [];
  private count = 0;
  private readonly node = Buffer.alloc(65, 1);

  static fromJSON(peaks: readonly FrontierPeak[]): MerkleFrontier {
    const frontier = new MerkleFrontier();
    for (const peak of peaks) {
      if (!Number.isInteger(peak.size) || peak.size < 1 || (peak.size & (peak.size - 1)) !== 0) {
        throw new RangeError(`frontier peak size must be a power of two: ${peak.size}`);
      }
      frontier.sizes.push(peak.size);
      frontier.hashes.push(Buffer.from(peak.hash, 'hex'));
      frontier.count += peak.size;
    }
    return frontier;
  }

  get size(): number {
    return this.count;
  }

  /** Appends one event hash (not yet leaf-hashed). */
  append(eventHash: Buffer): void {
    this.appendLeafHashes(leafHash(eventHash), 1);
  }

  /** Appends `count` leaf hashes (already `leafHash`ed), 32 bytes each, from one buffer. */
  appendLeafHashes(leaves: Buffer, count: number): void {
    const { sizes, hashes } = this;
    for (let i = 0; i < count; i++) {
      let hash = leaves.subarray(i * 32, i * 32 + 32);
      let size = 1;
      for (let left = hashes.at(-1); left && sizes.at(-1) === size; left = hashes.at(-1)) {
        sizes.pop();
        hashes.pop();
        hash = this.join(left, hash);
        size *= 2;
      }
      // A lone leaf is a view of the caller's buffer: copy it so that buffer can be freed.
      sizes.push(size);
      hashes.push(size === 1 ? Buffer.from(hash) : hash);
    }
    this.count += count;
  }

  /** The RFC 6962 root: the peaks folded from the right. */
  root(): Buffer {
    const { hashes } = this;
    let hash = hashes.at(-1);
    if (!hash) return EMPTY_ROOT;
    for (const left of hashes.slice(0, -1).reverse()) hash = this.join(left, hash);
    return hash;
  }

  toJSON(): FrontierPeak[] {
    return this.hashes.map((hash, i) => ({ size: this.sizes[i] ?? 0, hash: hash.toString('hex') }));
  }

  /** {@link nodeHash} through the reused input buffer. */
  private join(left: Buffer, right: Buffer): Buffer {
    left.copy(this.node, 1);
    right.copy(this.node, 33);
    return digest('sha256', this.node, 'buffer');
  }
}

/** The RFC 6962 root of `eventHashes` (all in memory). */
export function merkleRoot(eventHashes: readonly Buffer[]): Buffer {
  const frontier = new MerkleFrontier();
  for (const hash of eventHashes) frontier.append(hash);
  return frontier.root();
}

/**
 * Every level of the tree over `eventHashes`, for inclusion proofs of many leaves at once: level 0 holds
 * the leaf hashes; an odd node at the end of a level is carried up unchanged (RFC 6962's unbalanced split).
 */
export function merkleLevels(eventHashes: readonly Buffer[]): Buffer[][] {
  let level = eventHashes.map(leafHash);
  const levels: Buffer[][] = [level];
  while (level.length > 1) {
    const next: Buffer[] = [];
    level.forEach((left, i) => {
      if (i % 2 === 1) return;
      const right = level[i + 1];
      next.push(right ? nodeHash(left, right) : left);
    });
    levels.push(next);
    level = next;
  }
  return levels;
}

/** The RFC 6962 audit path of leaf `index` in the tree whose levels are given (siblings, bottom up). */
export function inclusionProof(levels: readonly Buffer[][], index: number): Buffer[] {
  const size = levels[0]?.length ?? 0;
  if (!Number.isInteger(index) || index < 0 || index >= size)
    throw new RangeError(`no leaf ${index} in ${size}`);
  const proof: Buffer[] = [];
  let i = index;
  for (const level of levels.slice(0, -1)) {
    const sibling = i % 2 === 0 ? level[i + 1] : level[i - 1];
    if (sibling) proof.push(sibling);
    i = Math.floor(i / 2);
  }
  return proof;
}

/**
 * Checks an RFC 6962 audit path (RFC 9162 §2.1.3.2): true when `eventHash` is leaf `index` of the tree
 * of `size` leaves whose root is `root`.
 */
export function verifyInclusion(
  eventHash: Buffer,
  index: number,
  size: number,
  proof: readonly Buffer[],
  root: Buffer,
): boolean {
  if (index >= size || index < 0) return false;
  let fn = index;
  let sn = size - 1;
  let hash = leafHash(eventHash);
  for (const sibling of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && hash.equals(root);
}
