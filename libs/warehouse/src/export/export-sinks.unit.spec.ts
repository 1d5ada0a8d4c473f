import { Writable } from 'node:stream';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { CsvSink, type ExportRow } from './csv-sink';
import type { ExportColumn } from './export-columns';
import { ParquetSink } from './parquet-sink';

/** A stream that keeps the bytes written to it, and how many writes there were. */
function bytes(): { readonly stream: Writable; buffer(): Buffer; writes(): number } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, buffer: () => Buffer.concat(chunks), writes: () => chunks.length };
}

const columns: ExportColumn[] = [
  { name: 'id', type: 'string', nullable: false },
  { name: 'quantity', type: 'int32', nullable: false },
  { name: 'amount', type: 'int64', nullable: true },
  { name: 'rate', type: 'double', nullable: true },
  { name: 'zero_result', type: 'boolean', nullable: true },
  { name: 'day', type: 'date', nullable: true },
  { name: 'occurred_at', type: 'timestamp', nullable: true },
  { name: 'note', type: 'string', nullable: true },
];

const rows: ExportRow[] = [
  ['a', '1', '9007199254740993', '0.25', 'true', '2026-03-01', '2026-03-01T10:15:30.123Z', 'plain'],
  ['b', '-2', '-5', '1e-7', 'false', '2000-01-01', '1999-12-31T23:59:59.999Z', 'a "quoted", text\r\nline'],
  ['c', '3', null, null, null, null, null, ''],
];

describe('warehouse export sinks', () => {
  describe('CSV', () => {
    it('writes RFC 4180 records under a header, null as an empty field and the empty string as ""', async () => {
      const out = bytes();
      const sink = new CsvSink(columns, out.stream);
      await sink.write(rows.slice(0, 1));
      await sink.write(rows.slice(1));
      await sink.finish();
      expect(out.buffer().toString('utf8')).toBe(
        'id,quantity,amount,rate,zero_result,day,occurred_at,note\r\n' +
          'a,1,9007199254740993,0.25,true,2026-03-01,2026-03-01T10:15:30.123Z,plain\r\n' +
          'b,-2,-5,1e-7,false,2000-01-01,1999-12-31T23:59:59.999Z,"a ""quoted"", text\r\nline"\r\n' +
          'c,3,,,,,,""\r\n',
      );
    });

    it('writes the header alone when no row is selected', async () => {
      const out = bytes();
      const sink = new CsvSink(columns.slice(0, 2), out.stream);
      await sink.write([]);
      await sink.finish();
      expect(out.buffer().toString('utf8')).toBe('id,quantity\r\n');
    });
  });

  describe('Parquet', () => {
    it('writes typed columns that read back as the values PostgreSQL held, nulls included', async () => {
      const out = bytes();
      const sink = new ParquetSink(columns, out.stream);
      await sink.write(rows);
      await sink.finish();
      const file = new Uint8Array(out.buffer()).buffer;
      const metadata = parquetMetadata(file);
      expect(
        metadata.schema.slice(1).map((e) => [e.name, e.type, e.logical_type?.type, e.repetition_type]),
      ).toEqual([
        ['id', 'BYTE_ARRAY', 'STRING', 'REQUIRED'],
        ['quantity', 'INT32', undefined, 'REQUIRED'],
        ['amount', 'INT64', undefined, 'OPTIONAL'],
        ['rate', 'DOUBLE', undefined, 'OPTIONAL'],
        ['zero_result', 'BOOLEAN', undefined, 'OPTIONAL'],
        ['day', 'INT32', 'DATE', 'OPTIONAL'],
        ['occurred_at', 'INT64', 'TIMESTAMP', 'OPTIONAL'],
        ['note', 'BYTE_ARRAY', 'STRING', 'OPTIONAL'],
      ]);
      expect(await parquetReadObjects({ file })).toEqual([
        {
          id: 'a',
          quantity: 1,
          amount: 9007199254740993n,
          rate: 0.25,
          zero_result: true,
          day: new Date('2026-03-01T00:00:00Z'),
          occurred_at: new Date('2026-03-01T10:15:30.123Z'),
          note: 'plain',
        },
        {
          id: 'b',
          quantity: -2,
          amount: -5n,
          rate: 1e-7,
          zero_result: false,
          day: new Date('2000-01-01T00:00:00Z'),
          occurred_at: new Date('1999-12-31T23:59:59.999Z'),
          note: 'a "quoted", text\r\nline',
        },
        {
          id: 'c',
          quantity: 3,
          amount: null,
          rate: null,
          zero_result: null,
          day: null,
          occurred_at: null,
          note: '',
        },
      ]);
    });

    it('streams one row group at a time, whatever the pages it is given', async () => {
      const out = bytes();
      const sink = new ParquetSink(columns.slice(0, 2), out.stream, 4);
      const many: ExportRow[] = Array.from({ length: 10 }, (_, i) => [`id-${i}`, String(i)]);
      await sink.write(many.slice(0, 3));
      // Nothing but the magic bytes leaves before a row group is full.
      expect(out.buffer().length).toBeLessThanOrEqual(4);
      await sink.write(many.slice(3));
      await sink.finish();
      const file = new Uint8Array(out.buffer()).buffer;
      expect(parquetMetadata(file).row_groups.map((group) => group.num_rows)).toEqual([4n, 4n, 2n]);
      expect(out.writes()).toBeGreaterThanOrEqual(3);
      const read = await parquetReadObjects({ file });
      expect(read.map((row) => row.quantity as number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('writes a valid file with the schema and no row group when no row is selected', async () => {
      const out = bytes();
      const sink = new ParquetSink(columns, out.stream);
      await sink.finish();
      const file = new Uint8Array(out.buffer()).buffer;
      const metadata = parquetMetadata(file);
      expect(metadata.num_rows).toBe(0n);
      expect(metadata.schema.slice(1).map((e) => e.name)).toEqual(columns.map((c) => c.name));
      expect(await parquetReadObjects({ file })).toEqual([]);
    });
  });
});
