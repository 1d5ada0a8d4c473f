import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointMessage, type SignedCheckpoint } from './checkpoint-format';
import {
  createSigner,
  GENERATED_KEY_FILE,
  parseSigningKey,
  resolveCheckpointSigner,
  SigningKeyError,
  verifyCheckpointSignature,
} from './signing-key';

function signed(signer = createSigner(generateKeyPairSync('ed25519').privateKey)): SignedCheckpoint {
  const unsigned = {
    sequence: 3,
    upTo: '00000000000000000812.00000000000000000042',
    leafCount: 42,
    root: 'ab'.repeat(32),
    createdAt: '2026-11-21T10:00:00.000Z',
  };
  return {
    ...unsigned,
    keyId: signer.keyId,
    publicKey: signer.publicKey,
    signature: signer.sign(checkpointMessage(unsigned)),
  };
}

describe('signing key', () => {
  it('reads the same key from PKCS#8 PEM, base64 and base64url of its seed', () => {
    const seed = randomBytes(32);
    const fromSeed = createSigner(parseSigningKey(seed.toString('base64')));
    const pem = parseSigningKey(seed.toString('base64url'))
      .export({ format: 'pem', type: 'pkcs8' })
      .toString();
    const fromPem = createSigner(parseSigningKey(pem));
    expect(fromPem.publicKey).toBe(fromSeed.publicKey);
    expect(fromSeed.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(Buffer.from(fromSeed.publicKey, 'base64')).toHaveLength(32);
  });

  it('refuses keys that are not Ed25519 private keys', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    expect(() => parseSigningKey(rsa.toString())).toThrow(SigningKeyError);
    expect(() => parseSigningKey(randomBytes(31).toString('base64'))).toThrow(SigningKeyError);
    expect(() => parseSigningKey('-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----')).toThrow(
      SigningKeyError,
    );
  });

  it('verifies a signed checkpoint and rejects any edited field or a key id that names another key', () => {
    const checkpoint = signed();
    expect(verifyCheckpointSignature(checkpoint)).toBe(true);
    expect(verifyCheckpointSignature({ ...checkpoint, leafCount: 41 })).toBe(false);
    expect(verifyCheckpointSignature({ ...checkpoint, root: 'cd'.repeat(32) })).toBe(false);
    expect(verifyCheckpointSignature({ ...checkpoint, upTo: '' })).toBe(false);
    expect(verifyCheckpointSignature({ ...checkpoint, keyId: '0000000000000000' })).toBe(false);
    const other = signed();
    expect(verifyCheckpointSignature({ ...checkpoint, publicKey: other.publicKey, keyId: other.keyId })).toBe(
      false,
    );
    expect(verifyCheckpointSignature({ ...checkpoint, signature: 'garbage' })).toBe(false);
  });

  describe('resolveCheckpointSigner', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'tally-audit-key-'));
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('uses the configured key in either mode', () => {
      const seed = randomBytes(32).toString('base64');
      const expected = createSigner(parseSigningKey(seed)).keyId;
      for (const mode of ['embedded', 'full'] as const) {
        expect(
          resolveCheckpointSigner({ mode, TALLY_DATA_DIR: dir, TALLY_AUDIT_SIGNING_KEY: seed })?.keyId,
        ).toBe(expected);
      }
    });

    it('generates one key per embedded data dir, private to its owner, and keeps it', () => {
      const first = resolveCheckpointSigner({ mode: 'embedded', TALLY_DATA_DIR: dir });
      const file = join(dir, GENERATED_KEY_FILE);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toContain('BEGIN PRIVATE KEY');
      expect(resolveCheckpointSigner({ mode: 'embedded', TALLY_DATA_DIR: dir })?.keyId).toBe(first?.keyId);
    });

    it('invents no key in full mode', () => {
      expect(resolveCheckpointSigner({ mode: 'full', TALLY_DATA_DIR: dir })).toBeUndefined();
    });
  });
});
