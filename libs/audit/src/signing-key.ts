import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkpointMessage, type SignedCheckpoint } from './checkpoint-format';

/** Signs checkpoints with the operator's Ed25519 key. */
export interface CheckpointSigner {
  /** First 16 hex digits of SHA-256 over the raw public key. */
  readonly keyId: string;
  /** The raw 32-byte public key, base64. */
  readonly publicKey: string;
  /** Ed25519 signature of the UTF-8 `message`, base64. */
  sign(message: string): string;
}

/** The signing key is not an Ed25519 private key in a form Tally reads. */
export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

// DER prefix of a PKCS#8 Ed25519 private key (RFC 8410): the raw 32-byte seed follows it.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Reads `TALLY_AUDIT_SIGNING_KEY`: a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) or the base64/base64url
 * of the raw 32-byte seed. Throws {@link SigningKeyError} saying what is wrong, never echoing the key.
 */
export function parseSigningKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: trimmed, format: 'pem' });
    } catch {
      throw new SigningKeyError('is not a readable PEM private key');
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new SigningKeyError(`must be an Ed25519 key, not ${key.asymmetricKeyType ?? 'unknown'}`);
    }
    return key;
  }
  const seed = BASE64.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (seed.length !== 32) {
    throw new SigningKeyError(
      'must be a PKCS#8 PEM Ed25519 private key or the base64 of its raw 32-byte seed',
    );
  }
  return createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
}

/** A signer over an Ed25519 private key. */
export function createSigner(privateKey: KeyObject): CheckpointSigner {
  const rawPublic = rawPublicKey(createPublicKey(privateKey));
  return {
    keyId: keyIdOf(rawPublic),
    publicKey: rawPublic.toString('base64'),
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64'),
  };
}

/** The key id Tally names a public key by: the first 16 hex digits of SHA-256 over its raw 32 bytes. */
export function keyIdOf(rawPublicKey: Buffer): string {
  return createHash('sha256').update(rawPublicKey).digest('hex').slice(0, 16);
}

/**
 * True when the checkpoint's signature is valid under the public key it carries, and that key is the
 * one its `keyId` names. Whether the key is the operator's is a separate question (compare `keyId`).
 */
export function verifyCheckpointSignature(checkpoint: SignedCheckpoint): boolean {
  const raw = Buffer.from(checkpoint.publicKey, 'base64');
  if (raw.length !== 32 || keyIdOf(raw) !== checkpoint.keyId) return false;
  try {
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
      format: 'jwk',
    });
    return verify(
      null,
      Buffer.from(checkpointMessage(checkpoint), 'utf8'),
      publicKey,
      Buffer.from(checkpoint.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/** What {@link resolveCheckpointSigner} needs from the configuration. */
export interface SigningKeyConfig {
  readonly mode: 'embedded' | 'full';
  readonly TALLY_DATA_DIR: string;
  readonly TALLY_AUDIT_SIGNING_KEY?: string | undefined;
}

/** The key file embedded Tally generates when no key is configured. */
export const GENERATED_KEY_FILE = 'audit-signing-key.pem';

/**
 * The operator's checkpoint signer: `TALLY_AUDIT_SIGNING_KEY` when set; in embedded mode without it, a key
 * generated at first use and kept under TALLY_DATA_DIR (so checkpoints keep one key across restarts); in
 * full mode without it, `undefined`: separate processes must share one key, so none is invented.
 */
export function resolveCheckpointSigner(config: SigningKeyConfig): CheckpointSigner | undefined {
  if (config.TALLY_AUDIT_SIGNING_KEY) return createSigner(parseSigningKey(config.TALLY_AUDIT_SIGNING_KEY));
  if (config.mode === 'full') return undefined;
  const dir = resolve(config.TALLY_DATA_DIR);
  const file = join(dir, GENERATED_KEY_FILE);
  try {
    return createSigner(parseSigningKey(readFileSync(file, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dir, { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  try {
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    return createSigner(privateKey);
  } catch (error) {
    // Another process of the same data dir wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return createSigner(parseSigningKey(readFileSync(file, 'utf8')));
  }
}

/** Why checkpoints cannot be signed, for logs and the CLI. */
export const MISSING_SIGNING_KEY =
  'TALLY_AUDIT_SIGNING_KEY: is required to sign checkpoints when DATABASE_URL is set (every process must sign with the same key)';

function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new SigningKeyError('is not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
}
