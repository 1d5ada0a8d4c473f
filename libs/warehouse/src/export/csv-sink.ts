import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ExportColumn } from './export-columns';

/** One row as exported: each column's PostgreSQL text, or null. */
export type ExportRow = readonly (string | null)[];

/** Where exported rows go: a file format over an output stream. */
export interface ExportSink {
  write(rows: readonly ExportRow[]): Promise<void>;
  finish(): Promise<void>;
}

/**
 * Writes rows as RFC 4180 CSV: a header record of the column names, CRLF after every record, fields holding
 * `"`, `,`, CR or LF quoted with `"` doubled. Null is an empty field and an empty string is `""`, so that
 * the two stay apart.
 */
export class CsvSink implements ExportSink {
  private started = false;

  constructor(
    private readonly columns: readonly ExportColumn[],
    private readonly out: Writable,
  ) {}

  async write(rows: readonly ExportRow[]): Promise<void> {
    let text = this.header();
    for (const row of rows) text += csvRecord(row);
    await write(this.out, text);
  }

  async finish(): Promise<void> {
    // An empty export still names its columns.
    await write(this.out, this.header());
  }

  private header(): string {
    if (this.started) return '';
    this.started = true;
    return csvRecord(this.columns.map((column) => column.name));
  }
}

/** One CSV record with its line break. */
export function csvRecord(fields: ExportRow): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

function csvField(field: string | null): string {
  if (field === null) return '';
  if (field === '') return '""';
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** Writes with backpressure: waits for 'drain' when the destination's buffer is full. */
export async function write(out: Writable, chunk: string | Buffer): Promise<void> {
  if (chunk.length === 0) return;
  // A destination that failed (a full disk, a closed pipe) never drains.
  if (out.errored) throw out.errored;
  if (!out.write(chunk)) await once(out, 'drain');
}
