import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { SqlClient } from '@tally/database';
import { createLogger, loadConfig } from '@tally/platform';
import type { TestSchema, TestWarehouse } from '@tally/testing';
import { openWarehouse, refreshWarehouseAggregates } from '@tally/warehouse';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { runCli } from '../src/main';
import { createCliSchema, runTally, useCliWarehouse } from './cli.harness';

/** An RFC 4180 parser, enough to read an export back: quoted fields may hold `"`, `,`, CR and LF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  expect(field).toBe('');
  return records;
}

/** Runs the CLI with a stdout that keeps bytes (the harness's keeps text) and may claim to be a terminal. */
async function runBinary(
  isTTY: boolean,
  ...argv: string[]
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const out: Buffer[] = [];
  const err: string[] = [];
  const stdout = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.push(Buffer.from(chunk));
        done();
      },
    }),
    { isTTY },
  );
  const stderr = new Writable({
    write(chunk: Buffer, _encoding, done) {
      err.push(chunk.toString());
      done();
    },
  });
  const code = await runCli(argv, { stdout, stderr, interactive: false });
  return { code, stdout: Buffer.concat(out), stderr: err.join('') };
}

/** How a value the `pg` driver returns is written in CSV: instants in UTC, null as an empty field. */
function asCsvText(value: unknown): string {
  if (value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}

const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04'];
const FROM = '2026-03-02';
const TO = '2026-03-03';
const AWKWARD = 'card said "no", twice\nthen hung up';

/** `warehouse export` of all of fact_payment as Parquet, to stdout. */
const PARQUET_EXPORT = ['warehouse', 'export', '--table', 'fact_payment', '--format', 'parquet'];

/** `warehouse export` of `table` over the days FROM to TO as `format`, with any further flags. */
const exportRange = (table: string, format: 'csv' | 'parquet', ...flags: string[]) =>
  runTally('warehouse', 'export', '--table', table, '--from', FROM, '--to', TO, '--format', format, ...flags);

describe('warehouse export', () => {
  let schema: TestSchema;
  let testWh: TestWarehouse;
  let warehouse: SqlClient;
  let closeWarehouse: (() => Promise<void>) | undefined;
  let dir: string;

  /** fact_payment in the range, as the `pg` driver returns it (bigint as text, timestamptz as Date). */
  const paymentsInRange = async () =>
    (
      await warehouse.query(
        `SELECT * FROM fact_payment WHERE occurred_at >= $1::timestamptz AND occurred_at < $2::timestamptz
         ORDER BY event_id`,
        [`${FROM}T00:00:00Z`, '2026-03-04T00:00:00Z'],
      )
    ).rows;

  const paymentColumns = async () =>
    (
      await warehouse.query<{ name: string }>(
        `SELECT column_name AS name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = 'fact_payment' ORDER BY ordinal_position`,
      )
    ).rows.map((row) => row.name);

  beforeAll(async () => {
    schema = await createCliSchema('wh_export_cli', 2);
    process.env.LOG_LEVEL = 'silent';
    testWh = useCliWarehouse(schema);
    dir = mkdtempSync(join(tmpdir(), 'tally-warehouse-export-'));

    const handle = await openWarehouse(loadConfig(), schema.client, createLogger('silent', 'test'));
    warehouse = handle.sql;
    closeWarehouse = () => handle.close();
    await seed(warehouse);
    // The facts are written straight in, not by the projection: fill the aggregates the views read.
    await refreshWarehouseAggregates(warehouse);
  });

  afterAll(async () => {
    await closeWarehouse?.();
    await testWh.drop();
    await schema.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('as CSV', () => {
    let file: string;
    let text: string;

    beforeAll(async () => {
      file = join(dir, 'payments.csv');
      const result = await exportRange('fact_payment', 'csv', '--out', file);
      expect(result.stderr).toContain(`rows of fact_payment from ${FROM} to ${TO} as csv to ${file}`);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
      text = readFileSync(file, 'utf8');
    });

    it('writes a header and the rows of the range, as SQL reads them, timestamps in UTC', async () => {
      const expected = (await paymentsInRange()).map((row) => Object.values(row).map(asCsvText));
      // Both ends of the range and nothing around it.
      expect(new Set(expected.map((row) => row.at(-1)))).toEqual(new Set(['20260302', '20260303']));
      const [header, ...rows] = parseCsv(text);
      expect(header).toEqual(await paymentColumns());
      expect(rows).toEqual(expected);
      expect(existsSync(`${file}.partial`)).toBe(false);
    });

    it('quotes a field holding a comma, a quote or a line break, and reads back the same text', () => {
      expect(text).toContain(`,"card said ""no"", twice\nthen hung up",`);
      expect(parseCsv(text).some((row) => row.includes(AWKWARD))).toBe(true);
    });

    it('writes the same bytes to stdout without --out', async () => {
      const result = await exportRange('fact_payment', 'csv');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(text);
    });

    it('exports a metric view over the days asked for', async () => {
      const result = await exportRange('metric_revenue_daily', 'csv');
      expect(result.code).toBe(0);
      const { rows } = await warehouse.query<Record<string, string>>(
        `SELECT date::text AS date, currency, captured::text AS captured, refunded::text AS refunded,
           revenue::text AS revenue
         FROM metric_revenue_daily WHERE date BETWEEN $1::date AND $2::date ORDER BY date, currency`,
        [FROM, TO],
      );
      expect(rows.length).toBe(2);
      expect(parseCsv(result.stdout)).toEqual([
        ['date', 'currency', 'captured', 'refunded', 'revenue'],
        ...rows.map((row) => Object.values(row)),
      ]);
    });
  });

  describe('as Parquet', () => {
    const typed = (row: Record<string, unknown>) => ({
      ...row,
      // `pg` returns bigint as text; Parquet holds INT64.
      amount: BigInt(row.amount as string),
    });

    it('writes typed columns that read back as the rows of the range', async () => {
      const file = join(dir, 'payments.parquet');
      const result = await exportRange('fact_payment', 'parquet', '--out', file);
      expect(result.code).toBe(0);
      const bytes = new Uint8Array(readFileSync(file)).buffer;
      const types = Object.fromEntries(
        parquetMetadata(bytes)
          .schema.slice(1)
          .map((e) => [e.name, [e.type, e.logical_type?.type]]),
      );
      expect(types).toEqual({
        event_id: ['BYTE_ARRAY', 'STRING'],
        order_id: ['BYTE_ARRAY', 'STRING'],
        payment_id: ['BYTE_ARRAY', 'STRING'],
        kind: ['BYTE_ARRAY', 'STRING'],
        amount: ['INT64', undefined],
        currency: ['BYTE_ARRAY', 'STRING'],
        refund_id: ['BYTE_ARRAY', 'STRING'],
        decline_reason: ['BYTE_ARRAY', 'STRING'],
        occurred_at: ['INT64', 'TIMESTAMP'],
        date_key: ['INT32', undefined],
      });
      expect(await parquetReadObjects({ file: bytes })).toEqual((await paymentsInRange()).map(typed));
      expect(existsSync(`${file}.partial`)).toBe(false);
    });

    it('writes to stdout when it is not a terminal', async () => {
      const result = await runBinary(false, ...PARQUET_EXPORT);
      expect(result.code).toBe(0);
      const rows = await parquetReadObjects({ file: new Uint8Array(result.stdout).buffer });
      const { rows: all } = await warehouse.query('SELECT * FROM fact_payment ORDER BY event_id');
      expect(rows).toEqual(all.map(typed));
    });

    it('refuses to write binary to a terminal', async () => {
      const result = await runBinary(true, ...PARQUET_EXPORT);
      expect(result.stderr).toContain('give --out <file>');
      expect(result.code).toBe(2);
      expect(result.stdout.length).toBe(0);
    });
  });

  describe('bad usage', () => {
    it.each([
      [['--table', 'events', '--format', 'csv'], '--table must be one of dim_date, dim_product'],
      [['--table', 'fact_payment; DROP TABLE fact_payment', '--format', 'csv'], '--table must be one of'],
      [['--format', 'csv'], '--table is required'],
      [['--table', 'fact_payment'], '--format is required'],
      [['--table', 'fact_payment', '--format', 'xlsx'], '--format must be csv or parquet, not xlsx'],
      [
        ['--table', 'fact_payment', '--format', 'csv', '--from', '2026-02-30'],
        '--from must be a UTC day YYYY-MM-DD',
      ],
      [
        ['--table', 'fact_payment', '--format', 'csv', '--to', 'yesterday'],
        '--to must be a UTC day YYYY-MM-DD',
      ],
      [
        ['--table', 'fact_payment', '--format', 'csv', '--from', '2026-03-04', '--to', '2026-03-01'],
        '--from must not be after --to',
      ],
      [
        ['--table', 'metric_top_products', '--format', 'csv', '--from', '2026-03-01'],
        '--from does not apply to metric_top_products',
      ],
      [['--table', 'fact_payment', '--format', 'csv', '--out', ''], '--out must not be empty'],
    ])('exits 2 naming the flag for %j', async (flags, message) => {
      const result = await runTally('warehouse', 'export', ...flags);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('Usage: npm run tally -- warehouse export');
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
    });
  });
});

/** Payments of one order a day, one declined with a reason that needs quoting in CSV. */
async function seed(sql: SqlClient): Promise<void> {
  for (const [i, day] of DAYS.entries()) {
    const order = `order-${randomUUID()}`;
    const dateKey = Number(day.replace(/-/g, ''));
    const payments: [string, number, string | null, string | null][] = [
      ['captured', 2400 + i, null, null],
      ['refunded', 400, `refund-${i}`, null],
      ['declined', 0, null, i === 1 ? AWKWARD : 'insufficient_funds'],
    ];
    for (const [j, [kind, amount, refundId, reason]] of payments.entries()) {
      await sql.query(
        `INSERT INTO fact_payment (event_id, order_id, payment_id, kind, amount, currency, refund_id,
           decline_reason, occurred_at, date_key)
         VALUES ($1, $2, $3, $4, $5, 'EUR', $6, $7, $8, $9)`,
        [
          randomUUID(),
          order,
          `payment-${i}`,
          kind,
          amount,
          refundId,
          reason,
          `${day}T${10 + j}:00:00.123Z`,
          dateKey,
        ],
      );
    }
  }
  // A day boundary in UTC: late on the last day of the range, still in it.
  await sql.query(
    `INSERT INTO fact_payment (event_id, order_id, payment_id, kind, amount, currency, occurred_at, date_key)
     VALUES ($1, 'order-late', 'payment-late', 'captured', 99, 'EUR', $2, $3)`,
    [randomUUID(), `${TO}T23:59:59.999Z`, Number(TO.replace(/-/g, ''))],
  );
}
