import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import { HttpProblem, SQL_CLIENT, uuidv7 } from '@tally/platform';
import { tokenHash } from './email';

/** Refresh tokens live 7 days. */
export const REFRESH_TOKEN_TTL_SECONDS = 7 * 24 * 60 * 60;

/** A refresh token just issued: the secret (given to the client once) and its family. */
export interface IssuedRefreshToken {
  readonly token: string;
  readonly familyId: string;
}

export function refreshTokenInvalid(): HttpProblem {
  return new HttpProblem(
    401,
    'REFRESH_TOKEN_INVALID',
    'Unauthorized',
    'The refresh token is unknown, expired or revoked; sign in again.',
    [{ field: 'refreshToken', message: 'is unknown, expired or revoked' }],
  );
}

/**
 * Opaque, rotating refresh tokens (32 random bytes, base64url), stored only as SHA-256. Every sign-in
 * starts a family; each refresh spends the presented token and issues the next one of its family. A spent
 * token presented again means it leaked (or the client lost a race with a thief): the whole family is
 * revoked, so the thief's copy dies with the victim's (OAuth 2.0 Security BCP, refresh token rotation).
 */
@Injectable()
export class RefreshTokens {
  constructor(@Inject(SQL_CLIENT) private readonly sql: SqlClient) {}

  /** A new token for `customerId`, in `familyId` or in a new family. */
  async issue(customerId: string, now: Date, familyId: string = uuidv7()): Promise<IssuedRefreshToken> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + REFRESH_TOKEN_TTL_SECONDS * 1000);
    await this.sql.query(
      `INSERT INTO auth_refresh_tokens (token_hash, family_id, customer_id, issued_at, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [tokenHash(token), familyId, customerId, now.toISOString(), expiresAt.toISOString()],
    );
    return { token, familyId };
  }

  /**
   * Spends `token`: its customer and family, for issuing the next token. Spending is one conditional UPDATE,
   * so of two concurrent uses exactly one succeeds. Throws 401 REFRESH_TOKEN_REUSED (after revoking the
   * family) for a spent token, 401 REFRESH_TOKEN_INVALID for an unknown, expired or revoked one.
   */
  async spend(token: string, now: Date): Promise<{ customerId: string; familyId: string }> {
    const hash = tokenHash(token);
    const at = now.toISOString();
    const { rows } = await this.sql.query<{ customer_id: string; family_id: string }>(
      `UPDATE auth_refresh_tokens SET used_at = $2
       WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
       RETURNING customer_id, family_id`,
      [hash, at],
    );
    const spent = rows[0];
    if (spent) return { customerId: spent.customer_id, familyId: spent.family_id };

    const { rows: known } = await this.sql.query<{
      family_id: string;
      used_at: Date | null;
      revoked_at: Date | null;
    }>('SELECT family_id, used_at, revoked_at FROM auth_refresh_tokens WHERE token_hash = $1', [hash]);
    const row = known[0];
    if (row && row.used_at !== null && row.revoked_at === null) {
      await this.revokeFamily(row.family_id, now);
      throw new HttpProblem(
        401,
        'REFRESH_TOKEN_REUSED',
        'Unauthorized',
        'This refresh token was already used; every session it belongs to is signed out. Sign in again.',
        [{ field: 'refreshToken', message: 'was already used' }],
      );
    }
    throw refreshTokenInvalid();
  }

  /** Revokes the family of `token` (sign-out); nothing when the token is unknown. */
  async revokeFamilyOf(token: string, now: Date): Promise<void> {
    await this.sql.query(
      `UPDATE auth_refresh_tokens SET revoked_at = $2
       WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM auth_refresh_tokens WHERE token_hash = $1)`,
      [tokenHash(token), now.toISOString()],
    );
  }

  async revokeFamily(familyId: string, now: Date): Promise<void> {
    await this.sql.query(
      'UPDATE auth_refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL',
      [familyId, now.toISOString()],
    );
  }

  /** Revokes every family of a customer (after a password reset: every device signs in again). */
  async revokeCustomer(customerId: string, now: Date): Promise<void> {
    await this.sql.query(
      'UPDATE auth_refresh_tokens SET revoked_at = $2 WHERE customer_id = $1 AND revoked_at IS NULL',
      [customerId, now.toISOString()],
    );
  }
}
