import type { Writable } from 'node:stream';
import type { SchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { type ExportRow, type ExportSink, write } from './csv-sink';
import type { ExportColumn, ExportColumnType } from './export-columns';

type ParquetValue = number | bigint | boolean | string | null;

const DAY_MS = 86_400_000;

/** How each export type is stored: physical type plus the logical annotation readers use to decode it. */
const ELEMENTS: Readonly<Record<ExportColumnType, Omit<SchemaElement, 'name'>>> = {
  int32: { type: 'INT32' },
  int64: { type: 'INT64' },
  double: { type: 'DOUBLE' },
  boolean: { type: 'BOOLEAN' },
  date: { type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } },
  timestamp: {
    type: 'INT64',
    converted_type: 'TIMESTAMP_MILLIS',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
  },
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
};

/** Parses PostgreSQL's text of a value (see `selectExpression`) into the value Parquet stores. */
const PARSE: Readonly<Record<ExportColumnType, (text: string) => ParquetValue>> = {
  int32: Number,
  int64: BigInt,
  double: Number,
  boolean: (text) => text === 'true',
  date: (text) => Date.parse(`${text}T00:00:00Z`) / DAY_MS,
  timestamp: (text) => BigInt(Date.parse(text)),
  string: (text) => text,
};

/** The Parquet schema of the exported columns. */
export function parquetSchema(columns: readonly ExportColumn[]): SchemaElement[] {
  return [
    { name: 'root', num_children: columns.length },
    ...columns.map((column): SchemaElement => ({
      name: column.name,
      ...ELEMENTS[column.type],
      repetition_type: column.nullable ? 'OPTIONAL' : 'REQUIRED',
    })),
  ];
}

/** Rows per row group unless told otherwise: big enough for readers to scan well, small enough to hold. */
export const DEFAULT_ROW_GROUP_ROWS = 50_000;

/**
 * Writes rows to a stream as a Parquet file in row groups of `rowGroupRows`. Only the row group being
 * filled is held in memory: once encoded, its bytes go to the stream (with backpressure) before more rows
 * are taken; the footer (schema, row group index) follows in {@link ParquetSink.finish}.
 */
export class ParquetSink implements ExportSink {
  private readonly writer: ParquetWriter;
  private pending: ExportRow[] = [];

  constructor(
    private readonly columns: readonly ExportColumn[],
    out: Writable,
    private readonly rowGroupRows = DEFAULT_ROW_GROUP_ROWS,
  ) {
    this.writer = new ParquetWriter({
      writer: streamWriter(out),
      schema: parquetSchema(columns),
      createdBy: 'tally warehouse export',
    });
  }

  async write(rows: readonly ExportRow[]): Promise<void> {
    for (const row of rows) {
      this.pending.push(row);
      if (this.pending.length >= this.rowGroupRows) await this.writeRowGroup();
    }
  }

  async finish(): Promise<void> {
    await this.writeRowGroup();
    await this.writer.finish();
  }

  private async writeRowGroup(): Promise<void> {
    const rows = this.pending;
    if (rows.length === 0) return;
    this.pending = [];
    const columnData = this.columns.map((column, i) => {
      const parse = PARSE[column.type];
      return { name: column.name, data: rows.map((row) => parseNullable(row[i], parse)) };
    });
    await this.writer.write({ columnData, rowGroupSize: rows.length });
  }
}

function parseNullable(text: string | null | undefined, parse: (text: string) => ParquetValue): ParquetValue {
  return text === null || text === undefined ? null : parse(text);
}

/** A hyparquet writer that hands its bytes to `out` whenever the Parquet writer flushes (after each row group). */
function streamWriter(out: Writable) {
  const bytes = new ByteWriter();
  const flush = async (): Promise<void> => {
    // A copy: the writer reuses its buffer for the next row group.
    const chunk = Buffer.from(bytes.buffer.slice(0, bytes.index));
    bytes.index = 0;
    await write(out, chunk);
  };
  return Object.assign(bytes, { flush, finish: flush });
}
