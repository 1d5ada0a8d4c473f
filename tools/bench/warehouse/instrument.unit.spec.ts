import type { SqlExecutor } from '@tally/database';
import type { RecordedEvent } from '@tally/event-store';
import type { Projection } from '@tally/read-models';
import { profiledProjection, RebuildProfile, statementLabel } from './instrument';

describe('statementLabel', () => {
  it.each([
    [
      `INSERT INTO fact_payment (event_id, kind)
       SELECT r.event_id, r.kind FROM jsonb_to_recordset($1::jsonb) AS r(event_id uuid, kind text)
       ON CONFLICT DO NOTHING`,
      'INSERT fact_payment',
    ],
    [
      `UPDATE dim_product d SET valid_to = w.next_from
       FROM (SELECT product_key FROM dim_product WHERE sku = ANY($1::text[])) w
       WHERE d.product_key = w.product_key AND (d.valid_to IS DISTINCT FROM w.next_from)`,
      'UPDATE dim_product',
    ],
    ['DELETE FROM fact_cart_activity WHERE activity_id = ANY($1::text[])', 'DELETE fact_cart_activity'],
    [
      `SELECT cart_id, units FROM warehouse_cart_state WHERE cart_id = ANY($1) ORDER BY cart_id FOR UPDATE`,
      'SELECT warehouse_cart_state',
    ],
    [
      `SELECT k.cart_id FROM (SELECT DISTINCT cart_id, sku FROM jsonb_to_recordset($1::jsonb) AS r(cart_id text)
         WHERE EXISTS (SELECT 1 FROM warehouse_cart_state s WHERE s.cart_id = r.cart_id)) k
       JOIN fact_cart_activity a ON a.cart_id = k.cart_id`,
      'SELECT warehouse_cart_state, fact_cart_activity',
    ],
    [
      `WITH touched AS (SELECT r.sku FROM jsonb_to_recordset($1::jsonb) AS r(sku text)),
       moved AS (SELECT f.order_id, (SELECT p.product_key FROM dim_product p LIMIT 1) AS product_key
         FROM touched t CROSS JOIN LATERAL (SELECT order_id FROM fact_order_line WHERE sku = t.sku) f)
       UPDATE fact_order_line f SET product_key = m.product_key FROM moved m
       WHERE f.product_key IS DISTINCT FROM m.product_key`,
      'UPDATE fact_order_line (reading dim_product)',
    ],
    [
      `WITH swept AS (UPDATE warehouse_cart_state SET abandoned_at = now() RETURNING cart_id)
       INSERT INTO fact_cart_activity (activity_id) SELECT cart_id FROM swept ON CONFLICT DO NOTHING`,
      'UPDATE warehouse_cart_state + INSERT fact_cart_activity',
    ],
  ])('names %s as %s', (text, label) => {
    expect(statementLabel(text)).toBe(label);
  });
});

describe('profiledProjection', () => {
  it('times apply and each statement, numbering distinct statements under one label', async () => {
    const projection: Projection = {
      name: 'warehouse',
      eventTypes: ['CartOpened'],
      async apply(tx) {
        await tx.query('INSERT INTO fact_search (event_id) SELECT 1');
        await tx.query('INSERT INTO fact_search (event_id) SELECT 2');
        await tx.query('INSERT INTO fact_search (event_id) SELECT 1');
      },
    };
    const tx = {
      query: () => Promise.resolve({ rows: [], rowCount: 3 }),
    } as SqlExecutor;
    const profile = new RebuildProfile();

    const profiled = profiledProjection(projection, profile);
    await profiled.apply(tx, [{} as RecordedEvent, {} as RecordedEvent]);

    expect(profiled.name).toBe('warehouse');
    expect(profiled.eventTypes).toEqual(['CartOpened']);
    expect(profile.applies).toBe(1);
    expect(profile.events).toBe(2);
    expect(profile.statementCount).toBe(3);
    expect([...profile.statements].map(([label, stats]) => [label, stats.calls, stats.rows])).toEqual([
      ['INSERT fact_search', 2, 6],
      ['INSERT fact_search #2', 1, 3],
    ]);
    expect(profile.applyMilliseconds).toBeGreaterThanOrEqual(profile.statementMilliseconds);
  });
});
