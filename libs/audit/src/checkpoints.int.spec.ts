import { createHash } from 'node:crypto';
import { migrate, type SqlExecutor } from '@tally/database';
import {
  encodePostgresCheckpoint,
  eventStoreMigrations,
  PostgresEventStore,
  START,
} from '@tally/event-store';
import { createTestSchema, testEvent, type TestSchema } from '@tally/testing';
import { auditMigrations } from './audit.migrations';
import { gapSafeHead, readLeafHashes } from './checkpoints';

// The leaves of the checkpoint trees, read page by page (several pages at once) from a real PostgreSQL.

let schema: TestSchema;
let store: PostgresEventStore;

beforeEach(async () => {
  schema = await createTestSchema('audit_leaves', 4);
  await migrate(schema.client, [eventStoreMigrations, auditMigrations]);
  store = new PostgresEventStore(schema.client);
});

afterEach(async () => {
  await store.close();
  await schema.drop();
});

/** Ten events, one append (so one transaction) each. */
async function writeEvents(): Promise<string> {
  let last = START;
  for (let i = 0; i < 10; i++) {
    ({ checkpoint: last } = await store.append(`cart-leaves-${i % 3}`, [testEvent('CartOpened', { i })], {
      expectedVersion: 'any',
    }));
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const head = await gapSafeHead(schema.client);
    if (head !== undefined && head >= last) return head;
    if (Date.now() > deadline) throw new Error(`the horizon did not reach ${last} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The RFC 6962 leaf hashes of every stored event, in delivery order, computed here. */
async function expectedLeaves(): Promise<string[]> {
  const { rows } = await schema.client.query<{ hash: Buffer }>(
    'SELECT hash FROM events ORDER BY transaction_id, position',
  );
  return rows.map(({ hash }) =>
    createHash('sha256')
      .update(Buffer.from([0]))
      .update(hash)
      .digest('hex'),
  );
}

async function readLeaves(sql: SqlExecutor, upTo: string, pageSize: number, concurrency: number) {
  const leaves: string[] = [];
  const pages: number[] = [];
  await readLeafHashes(
    sql,
    START,
    upTo,
    (hashes, count) => {
      pages.push(count);
      for (let i = 0; i < count; i++) leaves.push(hashes.subarray(i * 32, i * 32 + 32).toString('hex'));
    },
    pageSize,
    concurrency,
  );
  return { leaves, pages };
}

describe('readLeafHashes', () => {
  it('delivers every leaf once, in delivery order, however many pages are read at once', async () => {
    const head = await writeEvents();
    const expected = await expectedLeaves();
    expect(expected).toHaveLength(10);
    for (const [pageSize, concurrency] of [
      [3, 1],
      [3, 2],
      [1, 4],
      [100, 2],
    ] as const) {
      const { leaves, pages } = await readLeaves(schema.client, head, pageSize, concurrency);
      expect(leaves).toEqual(expected);
      expect(pages.every((count) => count <= pageSize)).toBe(true);
    }
  });

  it('stops at the given position', async () => {
    await writeEvents();
    const { rows } = await schema.client.query<{ transaction_id: string; position: string }>(
      `SELECT transaction_id::text AS transaction_id, position::text AS position FROM events
       ORDER BY transaction_id, position OFFSET 6 LIMIT 1`,
    );
    const upTo = encodePostgresCheckpoint({
      transactionId: rows[0]?.transaction_id ?? '',
      position: rows[0]?.position ?? '',
    });
    const { leaves } = await readLeaves(schema.client, upTo, 2, 2);
    expect(leaves).toEqual((await expectedLeaves()).slice(0, 7));
  });

  it('reads a page whole when events were inserted into it after its bounds were taken', async () => {
    const head = await writeEvents();
    const { rows } = await schema.client.query<{ transaction_id: string }>(
      'SELECT transaction_id::text AS transaction_id FROM events ORDER BY transaction_id, position OFFSET 1 LIMIT 1',
    );
    const second = rows[0]?.transaction_id ?? '';
    // As an attacker with database access would: rows slipped in after the second event, below the horizon.
    let inserted = false;
    const intruding: SqlExecutor = {
      async query(text, params) {
        if (!inserted && text.includes('string_agg')) {
          inserted = true;
          await schema.client.query(
            `INSERT INTO events (position, transaction_id, event_id, stream_id, version, type, data, metadata, hash)
             OVERRIDING SYSTEM VALUE
             SELECT 1000000 + n, $1::xid8, gen_random_uuid(), 'cart-intruder', n, type, data, metadata, hash
             FROM events CROSS JOIN generate_series(1, 2) AS n WHERE position = (SELECT min(position) FROM events)`,
            [second],
          );
        }
        return schema.client.query(text, params);
      },
    };
    const { leaves, pages } = await readLeaves(intruding, head, 4, 2);
    expect(inserted).toBe(true);
    const expected = await expectedLeaves();
    expect(expected).toHaveLength(12);
    expect(leaves).toEqual(expected);
    expect(pages[0]).toBe(6);
  });
});
