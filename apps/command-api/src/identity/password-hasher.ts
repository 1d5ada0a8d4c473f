import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { argon2id, hash as argon2Hash, verify as argon2Verify } from 'argon2';

/**
 * argon2id with OWASP's minimum configuration (19 MiB, 2 iterations, 1 lane): slow enough to make offline
 * guessing expensive, fast enough (tens of ms) for an interactive sign-in. Parameters are stored in each
 * hash, so raising them later only affects new hashes.
 */
const OPTIONS = { type: argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

/** Hashes and verifies passwords. A class so tests can observe that every sign-in does the same work. */
@Injectable()
export class PasswordHasher {
  /**
   * Hash of a random password nobody knows, verified against when a sign-in names an unknown email so that
   * it costs the same as one with a wrong password (no account enumeration by timing). Made lazily with
   * the same parameters as real hashes.
   */
  private dummy: Promise<string> | undefined;

  hash(password: string): Promise<string> {
    return argon2Hash(password, OPTIONS);
  }

  /** True when `password` matches `hashed`; false for a mismatch or a hash that cannot be read. */
  async verify(hashed: string, password: string): Promise<boolean> {
    try {
      return await argon2Verify(hashed, password);
    } catch {
      return false;
    }
  }

  /** The hash an unknown account is verified against (always fails). */
  dummyHash(): Promise<string> {
    this.dummy ??= this.hash(randomBytes(32).toString('base64url'));
    return this.dummy;
  }
}
