import { EMPTY_ROOT, leafHash, nodeHash } from '../merkle';

const HASH_BYTES = 32;

/**
 * The whole RFC 6962 tree over a known number of leaves, every level packed into one buffer (32 bytes a
 * node), so that an export can hand out an inclusion proof for any leaf. It is the same tree as
 * `merkleLevels` (an odd node at the end of a level is carried up unchanged), at about 64 bytes a leaf
 * instead of one Buffer object per node: a million-event log takes 64 MB, not several hundred.
 */
export class PackedMerkleTree {
  private readonly leaves: Buffer;
  private readonly levels: Buffer[];
  private filled = 0;
  private sealed = false;

  /** @param size the number of leaves {@link append} will be called with. */
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`tree size must be >= 0: ${size}`);
    this.leaves = Buffer.alloc(size * HASH_BYTES);
    this.levels = [this.leaves];
  }

  /** Adds the next leaf: one event hash (32 bytes, not yet leaf-hashed). */
  append(eventHash: Buffer): void {
    if (this.sealed || this.filled >= this.size) throw new RangeError(`the tree holds ${this.size} leaves`);
    leafHash(eventHash).copy(this.leaves, this.filled * HASH_BYTES);
    this.filled += 1;
  }

  /** How many leaves were appended so far. */
  get appended(): number {
    return this.filled;
  }

  /** Builds the inner levels once every leaf is in. */
  seal(): void {
    if (this.sealed) return;
    if (this.filled !== this.size) throw new RangeError(`${this.filled} of ${this.size} leaves appended`);
    let level = this.leaves;
    while (level.length > HASH_BYTES) {
      const count = level.length / HASH_BYTES;
      const next = Buffer.alloc(Math.ceil(count / 2) * HASH_BYTES);
      for (let i = 0; i < count; i += 2) {
        const left = node(level, i);
        const parent = i + 1 < count ? nodeHash(left, node(level, i + 1)) : left;
        parent.copy(next, (i / 2) * HASH_BYTES);
      }
      this.levels.push(next);
      level = next;
    }
    this.sealed = true;
  }

  /** The RFC 6962 root (SHA-256 of nothing for an empty tree). */
  root(): Buffer {
    this.assertSealed();
    const top = this.levels.at(-1);
    return top && top.length > 0 ? Buffer.from(node(top, 0)) : EMPTY_ROOT;
  }

  /** The leaf hash (not the event hash) at `index`. */
  leaf(index: number): Buffer {
    this.assertIndex(index);
    return Buffer.from(node(this.leaves, index));
  }

  /** The RFC 6962 audit path of leaf `index`: sibling hashes from the bottom up. */
  proof(index: number): Buffer[] {
    this.assertSealed();
    this.assertIndex(index);
    const path: Buffer[] = [];
    let i = index;
    for (const level of this.levels.slice(0, -1)) {
      const sibling = i % 2 === 0 ? i + 1 : i - 1;
      if (sibling * HASH_BYTES < level.length) path.push(Buffer.from(node(level, sibling)));
      i = Math.floor(i / 2);
    }
    return path;
  }

  private assertSealed(): void {
    if (!this.sealed) throw new Error('seal the tree first');
  }

  private assertIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new RangeError(`no leaf ${index} in ${this.size}`);
    }
  }
}

function node(level: Buffer, index: number): Buffer {
  return level.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
}
