import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from '@tally/database';

/** A response as first sent, replayed byte-for-byte in meaning for a retry with the same key. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** What a request holding an `Idempotency-Key` may do. */
export type IdempotencyClaim =
  /** Run the request, then {@link IdempotencyStore.complete} or {@link IdempotencyStore.release} with this id. */
  | { readonly kind: 'claimed'; readonly claimId: string }
  /** The key already served this request: send the stored response. */
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  /** The key's first request is still running. */
  | { readonly kind: 'in_progress' }
  /** The key was used for a different request. */
  | { readonly kind: 'mismatch' };

export interface IdempotencyStoreOptions {
  /** How long a key is remembered (default 24 h). */
  readonly ttlMs?: number;
  /** How long a claim blocks the key before another request may take it over (default 60 s). */
  readonly leaseMs?: number;
  /** Delete up to this many expired rows on every `sweepEvery`-th claim (defaults 100 and 50). */
  readonly sweepBatch?: number;
  readonly sweepEvery?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Idempotency keys in PostgreSQL (table `command_idempotency_keys`), so they survive restarts and hold
 * across command-api processes. Expired keys are treated as absent and deleted lazily, a batch at a time.
 */
export class IdempotencyStore {
  private readonly ttlMs: number;
  private readonly leaseMs: number;
  private readonly sweepBatch: number;
  private readonly sweepEvery: number;
  private claims = 0;

  constructor(
    private readonly sql: SqlExecutor,
    options: IdempotencyStoreOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? DAY_MS;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.sweepBatch = options.sweepBatch ?? 100;
    this.sweepEvery = options.sweepEvery ?? 50;
  }

  /**
   * Claims `key` for a request with this `fingerprint`. A key is free when unknown or expired, or when an
   * earlier claim for the same request outlived its lease (its process died mid-request).
   */
  async claim(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim> {
    this.claims += 1;
    if (this.claims % this.sweepEvery === 0) await this.purgeExpired();
    // Bounded: a row can only vanish between the two statements when its claim was released meanwhile.
    for (let round = 0; round < 3; round += 1) {
      const claimId = randomUUID();
      const claimed = await this.sql.query<{ claim_id: string }>(
        `INSERT INTO command_idempotency_keys AS k
           (scope, key, fingerprint, claim_id, state, locked_until, expires_at)
         VALUES ($1, $2, $3, $4, 'in_progress',
           now() + $5::int * interval '1 millisecond', now() + $6::bigint * interval '1 millisecond')
         ON CONFLICT (scope, key) DO UPDATE SET
           fingerprint = EXCLUDED.fingerprint, claim_id = EXCLUDED.claim_id, state = 'in_progress',
           response_status = NULL, response_headers = NULL, response_body = NULL, created_at = now(),
           locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at
         WHERE k.expires_at <= now()
            OR (k.state = 'in_progress' AND k.locked_until <= now() AND k.fingerprint = EXCLUDED.fingerprint)
         RETURNING k.claim_id::text`,
        [scope, key, fingerprint, claimId, this.leaseMs, this.ttlMs],
      );
      if (claimed.rows.length > 0) return { kind: 'claimed', claimId };

      const existing = await this.sql.query<{
        fingerprint: string;
        state: 'in_progress' | 'completed';
        response_status: number | null;
        response_headers: Record<string, string> | null;
        response_body: unknown;
      }>(
        `SELECT fingerprint, state, response_status, response_headers, response_body
         FROM command_idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at > now()`,
        [scope, key],
      );
      const row = existing.rows[0];
      if (!row) continue;
      if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (row.state === 'in_progress' || row.response_status === null) return { kind: 'in_progress' };
      return {
        kind: 'replay',
        response: {
          status: row.response_status,
          headers: row.response_headers ?? {},
          body: row.response_body,
        },
      };
    }
    return { kind: 'in_progress' };
  }

  /** Records the response of a claimed request; later requests with the key replay it. */
  async complete(scope: string, key: string, claimId: string, response: StoredResponse): Promise<void> {
    await this.sql.query(
      `UPDATE command_idempotency_keys
       SET state = 'completed', response_status = $4, response_headers = $5::jsonb, response_body = $6::jsonb
       WHERE scope = $1 AND key = $2 AND claim_id = $3::uuid`,
      [
        scope,
        key,
        claimId,
        response.status,
        JSON.stringify(response.headers),
        JSON.stringify(response.body ?? null),
      ],
    );
  }

  /** Frees a claimed key without a result (the request failed and wrote nothing), so a retry runs again. */
  async release(scope: string, key: string, claimId: string): Promise<void> {
    await this.sql.query(
      `DELETE FROM command_idempotency_keys WHERE scope = $1 AND key = $2 AND claim_id = $3::uuid`,
      [scope, key, claimId],
    );
  }

  /** Deletes up to `sweepBatch` expired keys; returns how many. */
  async purgeExpired(): Promise<number> {
    const { rowCount } = await this.sql.query(
      `DELETE FROM command_idempotency_keys WHERE (scope, key) IN (
         SELECT scope, key FROM command_idempotency_keys WHERE expires_at <= now() LIMIT $1)`,
      [this.sweepBatch],
    );
    return rowCount;
  }
}
