import { createHash } from 'node:crypto';
import {
  EMPTY_ROOT,
  type FrontierPeak,
  inclusionProof,
  MerkleFrontier,
  merkleLevels,
  merkleRoot,
  verifyInclusion,
} from './merkle';

// RFC 6962 §2.1 written out as the RFC states it, recursion and all, to check the frontier against.
const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const largestPowerOfTwoBelow = (n: number) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

function naiveRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return sha256(Buffer.from([0]), leaves[0]!);
  const k = largestPowerOfTwoBelow(leaves.length);
  return sha256(Buffer.from([1]), naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}

/** RFC 6962 §2.1.1 PATH(m, D[n]). */
function naivePath(m: number, leaves: readonly Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return m < k
    ? [...naivePath(m, leaves.slice(0, k)), naiveRoot(leaves.slice(k))]
    : [...naivePath(m - k, leaves.slice(k)), naiveRoot(leaves.slice(0, k))];
}

const eventHashes = (n: number) =>
  Array.from({ length: n }, (_, i) => createHash('sha256').update(`event ${i}`).digest());

describe('Merkle tree (RFC 6962)', () => {
  it('gives the root of no leaves as SHA-256 of nothing', () => {
    expect(merkleRoot([])).toEqual(EMPTY_ROOT);
    expect(new MerkleFrontier().root()).toEqual(naiveRoot([]));
  });

  it.each(Array.from({ length: 21 }, (_, n) => n))(
    'agrees with the recursive definition for %i leaves',
    (n) => {
      const leaves = eventHashes(n);
      expect(merkleRoot(leaves).toString('hex')).toBe(naiveRoot(leaves).toString('hex'));
    },
  );

  it('resumes from a stored frontier as if it had never stopped', () => {
    const leaves = eventHashes(20);
    for (let split = 0; split <= leaves.length; split++) {
      const first = new MerkleFrontier();
      for (const leaf of leaves.slice(0, split)) first.append(leaf);
      const resumed = MerkleFrontier.fromJSON(JSON.parse(JSON.stringify(first.toJSON())) as FrontierPeak[]);
      expect(resumed.size).toBe(split);
      for (const leaf of leaves.slice(split)) resumed.append(leaf);
      expect(resumed.root().toString('hex')).toBe(naiveRoot(leaves).toString('hex'));
    }
  });

  it('refuses a frontier whose peak sizes are not powers of two', () => {
    expect(() => MerkleFrontier.fromJSON([{ size: 3, hash: '00' }])).toThrow(RangeError);
  });

  it('proves every leaf of trees of 1 to 20 leaves, with the paths RFC 6962 defines', () => {
    for (let n = 1; n <= 20; n++) {
      const leaves = eventHashes(n);
      const levels = merkleLevels(leaves);
      const root = naiveRoot(leaves);
      for (let index = 0; index < n; index++) {
        const proof = inclusionProof(levels, index);
        expect(proof.map((h) => h.toString('hex'))).toEqual(
          naivePath(index, leaves).map((h) => h.toString('hex')),
        );
        expect(verifyInclusion(leaves[index] as Buffer, index, n, proof, root)).toBe(true);
      }
    }
  });

  it('rejects a proof checked against the wrong index, leaf, root or path', () => {
    const leaves = eventHashes(13);
    const levels = merkleLevels(leaves);
    const root = merkleRoot(leaves);
    for (let index = 0; index < leaves.length; index++) {
      const proof = inclusionProof(levels, index);
      const leaf = leaves[index] as Buffer;
      const otherIndex = (index + 1) % leaves.length;
      expect(verifyInclusion(leaf, otherIndex, leaves.length, proof, root)).toBe(false);
      expect(verifyInclusion(leaf, index + leaves.length, leaves.length, proof, root)).toBe(false);
      expect(verifyInclusion(leaves[otherIndex] as Buffer, index, leaves.length, proof, root)).toBe(false);
      expect(verifyInclusion(leaf, index, leaves.length, proof, merkleRoot(leaves.slice(1)))).toBe(false);
      expect(verifyInclusion(leaf, index, leaves.length, proof.slice(1), root)).toBe(false);
    }
    expect(() => inclusionProof(levels, leaves.length)).toThrow(RangeError);
  });
});
