import { randomBytes } from 'node:crypto';
import { migrate, PgliteSqlClient, type SqlClient } from '@tally/database';
import { createTestSchema } from '@tally/testing';
import { canonicalJson, computeEventHash, GENESIS_HASH, type HashedEventFields } from '../event-hash';
import { CANONICAL_JSON_CASES } from '../testing/canonical-json.corpus';
import { eventStoreMigrations } from './event-store.migrations';

// The database hashes what it stores (ADR 0012): these tests prove that PostgreSQL's `jsonb` text is
// `canonicalJson`, and that `event_store_event_hash` is `computeEventHash`, on both engines Tally runs on.

interface Backend {
  readonly sql: SqlClient;
  close(): Promise<void>;
}

const backends: [string, () => Promise<Backend>][] = [
  [
    'PostgreSQL',
    async () => {
      const schema = await createTestSchema('event_hash', 2);
      await migrate(schema.client, [eventStoreMigrations]);
      return { sql: schema.client, close: () => schema.drop() };
    },
  ],
  [
    'PGlite',
    async () => {
      const client = await PgliteSqlClient.open();
      await migrate(client, [eventStoreMigrations]);
      return { sql: client, close: () => client.close() };
    },
  ],
];

const HASH_SQL = `SELECT encode(event_store_event_hash(decode($1, 'hex'), $2, $3, $4, $5::jsonb, $6::jsonb,
  $7::timestamptz), 'hex') AS hash`;

describe.each(backends)('event hashing on %s', (_name, open) => {
  jest.setTimeout(30_000);
  let backend: Backend;

  beforeAll(async () => {
    backend = await open();
  }, 60_000);
  afterAll(async () => {
    await backend.close();
  });

  it('prints every value of the corpus as jsonb exactly as canonicalJson writes it', async () => {
    const printed: [string, string][] = [];
    for (const { name, value } of CANONICAL_JSON_CASES) {
      const { rows } = await backend.sql.query<{ text: string }>('SELECT $1::jsonb::text AS text', [
        JSON.stringify(value),
      ]);
      printed.push([name, rows[0]!.text]);
    }
    expect(printed).toEqual(CANONICAL_JSON_CASES.map(({ name, value }) => [name, canonicalJson(value)]));
    expect(printed).toEqual(CANONICAL_JSON_CASES.map(({ name, canonical }) => [name, canonical]));
  });

  it('computes in SQL the hash computeEventHash computes, from genesis and from a previous hash', async () => {
    const sqlHashes: string[] = [];
    const jsHashes: string[] = [];
    for (const [i, { value }] of CANONICAL_JSON_CASES.entries()) {
      const previous = i % 3 === 0 ? null : randomBytes(32).toString('hex');
      const event: HashedEventFields = {
        streamId: `product-é☕-${randomBytes(4).toString('hex')}`,
        version: 1 + Math.floor(Math.random() * 2_000_000_000),
        type: i % 2 === 0 ? 'ProductNoted' : 'ÉvénementNoté',
        data: value,
        metadata: CANONICAL_JSON_CASES[(i + 7) % CANONICAL_JSON_CASES.length]!.value,
        // Any millisecond between 1970 and 2100, including .000.
        recordedAt: new Date(
          i === 0 ? Date.UTC(2026, 0, 2, 3, 4, 5, 0) : Math.floor(Math.random() * 4_102_444_800_000),
        ).toISOString(),
      };
      const { rows } = await backend.sql.query<{ hash: string }>(HASH_SQL, [
        previous,
        event.streamId,
        event.version,
        event.type,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata),
        event.recordedAt,
      ]);
      sqlHashes.push(rows[0]!.hash);
      jsHashes.push(computeEventHash(previous ?? GENESIS_HASH, event));
    }
    expect(sqlHashes).toEqual(jsHashes);
    expect(new Set(jsHashes).size).toBe(jsHashes.length);
  });

  it('hashes the instant in UTC whatever the session time zone', async () => {
    const event: HashedEventFields = {
      streamId: 'cart-1',
      version: 7,
      type: 'ItemAdded',
      data: { sku: 'SKU-1' },
      metadata: {},
      recordedAt: '2026-11-21T23:59:59.999Z',
    };
    const expected = computeEventHash(GENESIS_HASH, event);
    const hashes = await backend.sql.session(async (session) => {
      const seen: string[] = [];
      for (const zone of ['UTC', 'Pacific/Kiritimati', 'America/St_Johns']) {
        await session.query(`SET TIME ZONE '${zone}'`);
        const { rows } = await session.query<{ hash: string }>(HASH_SQL, [
          null,
          event.streamId,
          event.version,
          event.type,
          JSON.stringify(event.data),
          JSON.stringify(event.metadata),
          event.recordedAt,
        ]);
        seen.push(rows[0]!.hash);
      }
      await session.query('RESET TIME ZONE');
      return seen;
    });
    expect(hashes).toEqual([expected, expected, expected]);
  });
});
