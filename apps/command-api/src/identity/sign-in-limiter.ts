import { Inject, Injectable } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import { HttpProblem, SQL_CLIENT } from '@tally/platform';

/** Failed sign-ins allowed per window: per account (email) and per client IP. */
export const SIGN_IN_LIMITS = { windowMs: 15 * 60 * 1000, perAccount: 5, perIp: 30 } as const;

/** The counters a sign-in attempt is charged to. */
export interface AttemptKeys {
  /** `account:<email digest>`: also for emails without an account, so probing them costs the same. */
  readonly account: string;
  readonly ip: string;
}

export const attemptKeys = (emailDigest: string, ip: string): AttemptKeys => ({
  account: `account:${emailDigest}`,
  ip: `ip:${ip}`,
});

/**
 * Fixed-window counters of failed sign-ins in PostgreSQL (`auth_attempts`), so every command-api instance
 * enforces the same limits. Only failures count; a success clears the account's counter (not the IP's: one
 * good password must not unlock guessing at other accounts from that address).
 */
@Injectable()
export class SignInLimiter {
  constructor(@Inject(SQL_CLIENT) private readonly sql: SqlClient) {}

  /** Throws 429 TOO_MANY_ATTEMPTS with Retry-After when either counter is exhausted in its window. */
  async check(keys: AttemptKeys, now: Date): Promise<void> {
    const { rows } = await this.sql.query<{ key: string; failures: number; window_started_at: Date }>(
      'SELECT key, failures, window_started_at FROM auth_attempts WHERE key = ANY($1::text[])',
      [[keys.account, keys.ip]],
    );
    let retryAfterMs = 0;
    for (const row of rows) {
      const limit = row.key === keys.account ? SIGN_IN_LIMITS.perAccount : SIGN_IN_LIMITS.perIp;
      const windowEnds = new Date(row.window_started_at).getTime() + SIGN_IN_LIMITS.windowMs;
      if (row.failures >= limit && windowEnds > now.getTime())
        retryAfterMs = Math.max(retryAfterMs, windowEnds - now.getTime());
    }
    if (retryAfterMs === 0) return;
    const seconds = Math.ceil(retryAfterMs / 1000);
    throw new HttpProblem(
      429,
      'TOO_MANY_ATTEMPTS',
      'Too many attempts',
      `Too many failed sign-ins; try again in ${seconds} seconds.`,
      undefined,
      { 'retry-after': String(seconds) },
    );
  }

  /** Counts one failure against both keys, starting a new window where the old one has ended. */
  async failed(keys: AttemptKeys, now: Date): Promise<void> {
    for (const key of [keys.account, keys.ip]) {
      await this.sql.query(
        `INSERT INTO auth_attempts AS a (key, failures, window_started_at) VALUES ($1, 1, $2)
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN a.window_started_at <= $3 THEN 1 ELSE a.failures + 1 END,
           window_started_at = CASE WHEN a.window_started_at <= $3 THEN EXCLUDED.window_started_at
             ELSE a.window_started_at END`,
        [key, now.toISOString(), new Date(now.getTime() - SIGN_IN_LIMITS.windowMs).toISOString()],
      );
    }
  }

  /** A successful sign-in: the account starts afresh. */
  async succeeded(keys: AttemptKeys): Promise<void> {
    await this.sql.query('DELETE FROM auth_attempts WHERE key = $1', [keys.account]);
  }
}
