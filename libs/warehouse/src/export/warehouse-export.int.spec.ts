import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { migrate, PgliteSqlClient, quoteIdentifier, type PgSqlClient, type SqlClient } from '@tally/database';
import { createTestSchema, type TestSchema } from '@tally/testing';
import { parquetReadObjects } from 'hyparquet';
import { refreshWarehouseAggregates } from '../aggregates/warehouse-aggregates';
import { SchemaScopedSqlClient } from '../runtime/schema-scoped-sql-client';
import { warehouseViewMigrations } from '../views/warehouse.views';
import { warehouseTableMigrations } from '../warehouse.schema';
import {
  exportDateColumn,
  exportWarehouseRelation,
  WAREHOUSE_EXPORTABLE,
  type WarehouseExportFormat,
  WarehouseExportError,
} from './warehouse-export';

function capture(): { readonly stream: Writable; buffer(): Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, buffer: () => Buffer.concat(chunks) };
}

/** Rows of a CSV export (header excluded); the seed holds no line break inside a field. */
const csvLines = (text: string) => text.split('\r\n').slice(1, -1);

// Days around a month boundary, so that the monthly view and the instant columns are cut somewhere real.
const DAYS = ['2026-02-27', '2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04'];
const FROM = '2026-03-01';
const TO = '2026-03-03';

/**
 * The rows a range selects, counted by a condition written independently of the exporter: on the UTC day
 * of the relation's date column.
 */
async function countInRange(sql: SqlClient, relation: string): Promise<number> {
  const date = exportDateColumn(relation)!;
  const column = quoteIdentifier(date.column);
  const day = {
    date_key: `to_date(${column}::text, 'YYYYMMDD')`,
    date: column,
    month: column,
    timestamp: `(${column} AT TIME ZONE 'UTC')::date`,
  }[date.kind];
  // A month is selected when it overlaps the range.
  const condition =
    date.kind === 'month'
      ? `${column} <= $2::date AND ${column} + interval '1 month' > $1::date`
      : `${day} BETWEEN $1::date AND $2::date`;
  const { rows } = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${quoteIdentifier(relation)} WHERE ${condition}`,
    [FROM, TO],
  );
  return rows[0]!.n;
}

async function exportRows(
  sql: SqlClient,
  relation: string,
  format: WarehouseExportFormat,
  range: { from?: string; to?: string } = {},
): Promise<{ count: number; bytes: Buffer; progress: [number, number][] }> {
  const out = capture();
  const progress: [number, number][] = [];
  const result = await exportWarehouseRelation(sql, {
    relation,
    format,
    out: out.stream,
    ...range,
    // Pages of two rows, so that paging is exercised; dim_date holds a century of days.
    fetchRows: relation === 'dim_date' ? 10_000 : 2,
    onProgress: (done, total) => progress.push([done, total]),
  });
  const bytes = out.buffer();
  const count =
    format === 'csv'
      ? csvLines(bytes.toString('utf8')).length
      : (await parquetReadObjects({ file: new Uint8Array(bytes).buffer })).length;
  expect(count).toBe(result.rows);
  return { count, bytes, progress };
}

describe('exportWarehouseRelation', () => {
  let schema: TestSchema;
  let sql: PgSqlClient;

  beforeAll(async () => {
    schema = await createTestSchema('wh_export_lib', 2);
    sql = schema.client;
    await migrate(sql, [
      { module: 'warehouse', migrations: [...warehouseTableMigrations, ...warehouseViewMigrations] },
    ]);
    await seed(sql);
  });

  afterAll(async () => {
    await schema.drop();
  });

  describe.each(WAREHOUSE_EXPORTABLE.map((relation) => [relation]))('%s', (relation) => {
    it.each(['csv', 'parquet'] as const)('exports every row as %s', async (format) => {
      const { rows } = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${quoteIdentifier(relation)}`,
      );
      const total = rows[0]!.n;
      // dim_date holds a century of days; every other relation holds some of the seed.
      expect(total).toBeGreaterThan(0);
      const exported = await exportRows(sql, relation, format);
      expect(exported.count).toBe(total);
      expect(exported.progress.at(-1)).toEqual([total, total]);
    });

    if (exportDateColumn(relation)) {
      it('exports the days asked for, both ends included', async () => {
        const expected = await countInRange(sql, relation);
        const { rows } = await sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${quoteIdentifier(relation)}`,
        );
        // The range cuts: the seed has rows on both sides of it.
        expect(expected).toBeGreaterThan(0);
        expect(expected).toBeLessThan(rows[0]!.n);
        expect((await exportRows(sql, relation, 'csv', { from: FROM, to: TO })).count).toBe(expected);
      });
    } else {
      it('refuses a date range: it covers all time', async () => {
        await expect(exportRows(sql, relation, 'csv', { from: FROM })).rejects.toThrow(WarehouseExportError);
      });
    }
  });

  it('sorts by the primary key, so that the same data gives the same file', async () => {
    const first = await exportRows(sql, 'fact_payment', 'parquet');
    const second = await exportRows(sql, 'fact_payment', 'parquet');
    expect(second.bytes.equals(first.bytes)).toBe(true);
    const ids = csvLines((await exportRows(sql, 'fact_payment', 'csv')).bytes.toString('utf8')).map(
      (line) => line.split(',')[0]!,
    );
    expect(ids).toEqual([...ids].sort());
  });

  it('never names anything but a warehouse relation in its SQL', async () => {
    await expect(exportRows(sql, 'fact_payment; DROP TABLE fact_payment', 'csv')).rejects.toThrow(
      'is not a warehouse table or view',
    );
    await expect(exportRows(sql, 'tally_migrations', 'csv')).rejects.toThrow(WarehouseExportError);
  });
});

describe('exportWarehouseRelation on embedded PGlite', () => {
  let pglite: PgliteSqlClient;
  let sql: SqlClient;

  beforeAll(async () => {
    pglite = await PgliteSqlClient.open();
    await pglite.exec('CREATE SCHEMA warehouse;');
    // As embedded Tally opens it: the one connection, with the warehouse schema first in each transaction.
    sql = new SchemaScopedSqlClient(pglite, 'warehouse');
    await migrate(sql, [
      { module: 'warehouse', migrations: [...warehouseTableMigrations, ...warehouseViewMigrations] },
    ]);
    await seed(sql);
  });

  afterAll(async () => {
    await pglite.close();
  });

  it.each(['fact_payment', 'dim_product', 'metric_stock_turns_monthly'])(
    'exports the days asked for of %s through the cursor, in both formats',
    async (relation) => {
      const expected = await countInRange(sql, relation);
      expect(expected).toBeGreaterThan(0);
      for (const format of ['csv', 'parquet'] as const) {
        expect((await exportRows(sql, relation, format, { from: FROM, to: TO })).count).toBe(expected);
      }
    },
  );
});

/** A few rows in every table, on each of {@link DAYS}. */
async function seed(sql: SqlClient): Promise<void> {
  for (const [i, day] of DAYS.entries()) {
    const at = `${day}T${String(10 + i).padStart(2, '0')}:00:00Z`;
    const dateKey = Number(day.replace(/-/g, ''));
    const order = `order-${randomUUID()}`;
    const cart = randomUUID();
    const sku = `SKU-${i % 2}`;
    const productKey = randomUUID();
    const customer = `customer-${i}-${randomUUID()}`;
    await sql.query(
      `INSERT INTO dim_product (product_key, sku, version, name, category, price_amount, currency, status,
         valid_from, valid_to, is_current)
       VALUES ($1, $2, $3, 'Mug', 'kitchen', 1200, 'EUR', 'published', $4, NULL, true)`,
      [productKey, sku, i + 1, at],
    );
    await sql.query(
      `INSERT INTO dim_customer (customer_key, registered_at, registered_date_key) VALUES ($1, $2, $3)`,
      [customer, at, dateKey],
    );
    await sql.query(
      `INSERT INTO fact_order_line (order_id, line_no, event_id, placed_at, date_key, customer_key, product_key,
         sku, quantity, unit_price, line_total, order_total, currency)
       VALUES ($1, 1, $2, $3, $4, $5, $6, $7, 2, 1200, 2400, 2400, 'EUR')`,
      [order, randomUUID(), at, dateKey, customer, productKey, sku],
    );
    for (const kind of ['authorized', 'captured', 'refunded']) {
      await sql.query(
        `INSERT INTO fact_payment (event_id, order_id, payment_id, kind, amount, currency, refund_id, occurred_at, date_key)
         VALUES ($1, $2, $3, $4, $5, 'EUR', $6, $7, $8)`,
        [
          randomUUID(),
          order,
          `payment-${i}`,
          kind,
          kind === 'refunded' ? 400 : 2400,
          kind === 'refunded' ? 'r-1' : null,
          at,
          dateKey,
        ],
      );
    }
    for (const [activity, quantity] of [
      ['open', null],
      ['add', 2],
      ['checkout', null],
    ] as const) {
      await sql.query(
        `INSERT INTO fact_cart_activity (activity_id, cart_id, activity, sku, quantity, order_id, occurred_at, date_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [randomUUID(), cart, activity, sku, quantity, activity === 'checkout' ? order : null, at, dateKey],
      );
    }
    await sql.query(
      `INSERT INTO warehouse_cart_state (cart_id, opened_at, last_activity_at, units, checked_out)
       VALUES ($1, $2, $2, 2, true)`,
      [cart, at],
    );
    for (const [movement, onHand, quantity] of [
      ['received', 10, 10],
      ['committed', -2, 2],
    ] as const) {
      await sql.query(
        `INSERT INTO fact_stock_movement (event_id, sku, movement, on_hand_delta, reserved_delta, quantity, order_id,
           occurred_at, date_key)
         VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8)`,
        [randomUUID(), sku, movement, onHand, quantity, order, at, dateKey],
      );
    }
    await sql.query(
      `INSERT INTO fact_search (event_id, query, normalized_query, results, zero_result, occurred_at, date_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [randomUUID(), `Mug ${i}`, `mug ${i % 2}`, i % 2, i % 2 === 0, at, dateKey],
    );
  }
  // Written straight into the facts, not by the projection: the aggregates are filled from them.
  await refreshWarehouseAggregates(sql);
}
