import { migrate, PgliteSqlClient } from '@tally/database';
import { createTestSchema, type TestSchema } from '@tally/testing';
import { commandApiOwnMigrations } from '../command-api.migrations';
import { type IdempotencyClaim, IdempotencyStore, type StoredResponse } from './idempotency.store';

// Jest ignores testTimeout in project configs; PGlite's first open alone takes seconds.
jest.setTimeout(60_000);

const response: StoredResponse = {
  status: 201,
  headers: { etag: '"1"', 'tally-consistency': '00000000000000000001.00000000000000000001' },
  body: { cartId: 'c', version: 1 },
};

function claimed(claim: IdempotencyClaim): string {
  if (claim.kind !== 'claimed') throw new Error(`expected a claim, got ${claim.kind}`);
  return claim.claimId;
}

describe('IdempotencyStore (PostgreSQL)', () => {
  let schema: TestSchema;
  let store: IdempotencyStore;
  let key: string;
  let counter = 0;

  beforeAll(async () => {
    schema = await createTestSchema('idempotency', 12);
    await migrate(schema.client, [commandApiOwnMigrations]);
  });

  afterAll(async () => {
    await schema.drop();
  });

  beforeEach(() => {
    store = new IdempotencyStore(schema.client);
    counter += 1;
    key = `key-${counter}`;
  });

  describe('a new key', () => {
    it('is claimed by its first request', async () => {
      expect((await store.claim('anonymous', key, 'f1')).kind).toBe('claimed');
    });

    it('is scoped to the actor: another actor may use the same key', async () => {
      claimed(await store.claim('anonymous', key, 'f1'));
      expect((await store.claim('someone-else', key, 'f2')).kind).toBe('claimed');
    });

    it('is claimed by exactly one of many concurrent requests', async () => {
      const claims = await Promise.all(Array.from({ length: 10 }, () => store.claim('anonymous', key, 'f1')));
      expect(claims.filter((c) => c.kind === 'claimed')).toHaveLength(1);
      expect(claims.filter((c) => c.kind === 'in_progress')).toHaveLength(9);
    });
  });

  describe('while the first request runs', () => {
    it('answers in_progress to the same request and mismatch to another', async () => {
      claimed(await store.claim('anonymous', key, 'f1'));
      expect((await store.claim('anonymous', key, 'f1')).kind).toBe('in_progress');
      expect((await store.claim('anonymous', key, 'f2')).kind).toBe('mismatch');
    });

    it('lets the same request take the key over once the lease has run out (its process died)', async () => {
      const shortLease = new IdempotencyStore(schema.client, { leaseMs: 0 });
      const first = claimed(await shortLease.claim('anonymous', key, 'f1'));
      const second = claimed(await shortLease.claim('anonymous', key, 'f1'));
      expect(second).not.toBe(first);
      expect((await shortLease.claim('anonymous', key, 'f2')).kind).toBe('mismatch');

      // The first request finishing late does not overwrite the new claim.
      await shortLease.complete('anonymous', key, first, response);
      await store.complete('anonymous', key, second, { ...response, body: { second: true } });
      expect(await store.claim('anonymous', key, 'f1')).toEqual({
        kind: 'replay',
        response: { ...response, body: { second: true } },
      });
    });
  });

  describe('after the first request completed', () => {
    it('replays its response to the same request, also from another process', async () => {
      const claimId = claimed(await store.claim('anonymous', key, 'f1'));
      await store.complete('anonymous', key, claimId, response);

      const otherProcess = new IdempotencyStore(schema.connect(1));
      expect(await otherProcess.claim('anonymous', key, 'f1')).toEqual({ kind: 'replay', response });
      expect(await store.claim('anonymous', key, 'f1')).toEqual({ kind: 'replay', response });
    });

    it('answers mismatch to a different request', async () => {
      await store.complete('anonymous', key, claimed(await store.claim('anonymous', key, 'f1')), response);
      expect((await store.claim('anonymous', key, 'f2')).kind).toBe('mismatch');
    });
  });

  describe('after the first request failed', () => {
    it('frees the key so that a retry runs again', async () => {
      await store.release('anonymous', key, claimed(await store.claim('anonymous', key, 'f1')));
      expect((await store.claim('anonymous', key, 'f1')).kind).toBe('claimed');
    });
  });

  describe('after 24 hours', () => {
    it('treats the key as new and purges expired keys lazily', async () => {
      const expiring = new IdempotencyStore(schema.client, { ttlMs: 0, sweepEvery: 1_000_000 });
      await expiring.complete(
        'anonymous',
        key,
        claimed(await expiring.claim('anonymous', key, 'f1')),
        response,
      );

      expect((await store.claim('anonymous', key, 'f2')).kind).toBe('claimed');

      const other = `${key}-other`;
      await expiring.complete(
        'anonymous',
        other,
        claimed(await expiring.claim('anonymous', other, 'f1')),
        response,
      );
      expect(await expiring.purgeExpired()).toBeGreaterThanOrEqual(1);
      const { rows } = await schema.client.query('SELECT 1 FROM command_idempotency_keys WHERE key = $1', [
        other,
      ]);
      expect(rows).toHaveLength(0);
    });

    it('keeps unexpired keys when purging', async () => {
      await store.complete('anonymous', key, claimed(await store.claim('anonymous', key, 'f1')), response);
      await store.purgeExpired();
      expect((await store.claim('anonymous', key, 'f1')).kind).toBe('replay');
    });
  });
});

// Embedded mode runs the same SQL on PGlite.
describe('IdempotencyStore (PGlite)', () => {
  it('claims, replays, rejects a mismatch and frees a released key', async () => {
    const sql = await PgliteSqlClient.open();
    try {
      await migrate(sql, [commandApiOwnMigrations]);
      const store = new IdempotencyStore(sql, { sweepEvery: 1 });
      await store.complete('anonymous', 'k', claimed(await store.claim('anonymous', 'k', 'f1')), response);
      expect(await store.claim('anonymous', 'k', 'f1')).toEqual({ kind: 'replay', response });
      expect((await store.claim('anonymous', 'k', 'f2')).kind).toBe('mismatch');
      await store.release('anonymous', 'r', claimed(await store.claim('anonymous', 'r', 'f1')));
      expect((await store.claim('anonymous', 'r', 'f1')).kind).toBe('claimed');
      expect((await store.claim('anonymous', 'r', 'f1')).kind).toBe('in_progress');
    } finally {
      await sql.close();
    }
  });
});
