import { randomBytes } from 'node:crypto';
import { EMPTY_ROOT, inclusionProof, merkleLevels, merkleRoot, verifyInclusion } from '../merkle';
import { PackedMerkleTree } from './packed-merkle-tree';

function treeOf(hashes: readonly Buffer[]): PackedMerkleTree {
  const tree = new PackedMerkleTree(hashes.length);
  for (const hash of hashes) tree.append(hash);
  tree.seal();
  return tree;
}

describe('PackedMerkleTree', () => {
  // Every shape of RFC 6962 tree up to 70 leaves: perfect, one past perfect, and ragged right edges.
  it.each(Array.from({ length: 70 }, (_, i) => i + 1))(
    'has the RFC 6962 root and audit paths of merkle.ts for %i leaves',
    (size) => {
      const hashes = Array.from({ length: size }, () => randomBytes(32));
      const tree = treeOf(hashes);
      const root = merkleRoot(hashes);
      expect(tree.root().equals(root)).toBe(true);
      const levels = merkleLevels(hashes);
      for (let i = 0; i < size; i++) {
        const proof = tree.proof(i);
        expect(proof.map((p) => p.toString('hex'))).toEqual(
          inclusionProof(levels, i).map((p) => p.toString('hex')),
        );
        expect(verifyInclusion(hashes[i]!, i, size, proof, root)).toBe(true);
        expect(verifyInclusion(hashes[(i + 1) % size]!, i, size, proof, root)).toBe(size === 1);
      }
    },
  );

  it('is the empty root with no leaves', () => {
    expect(treeOf([]).root().equals(EMPTY_ROOT)).toBe(true);
  });

  it('refuses more leaves than its size, and proofs before it is sealed', () => {
    const tree = new PackedMerkleTree(1);
    tree.append(randomBytes(32));
    expect(() => tree.proof(0)).toThrow('seal');
    expect(() => {
      tree.append(randomBytes(32));
    }).toThrow(RangeError);
    tree.seal();
    expect(() => tree.proof(1)).toThrow(RangeError);
  });

  it('refuses to seal before every leaf is in', () => {
    const tree = new PackedMerkleTree(2);
    tree.append(randomBytes(32));
    expect(() => {
      tree.seal();
    }).toThrow('1 of 2');
  });
});
