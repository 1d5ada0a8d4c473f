import { open, rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  exportDateColumn,
  exportWarehouseRelation,
  isExportDay,
  openWarehouse,
  WAREHOUSE_EXPORT_FORMATS,
  WAREHOUSE_EXPORTABLE,
  type WarehouseExportFormat,
} from '@tally/warehouse';
import {
  type CliCommand,
  type CliContext,
  type ParsedArgs,
  optionalFlag,
  requiredFlag,
  UsageError,
} from '../cli';
import { formatCount, ProgressBar } from '../progress';

/**
 * `warehouse export --table <name> [--from day] [--to day] --format csv|parquet [--out file]`: one warehouse
 * table or metric view, for offline work (docs/warehouse.md, "Export"). The file goes to stdout or `--out`;
 * progress goes to stderr.
 */
export const warehouseExportCommand: CliCommand = {
  group: 'warehouse',
  name: 'export',
  summary: 'Export a warehouse table or metric view as CSV or Parquet',
  flags: {
    table: {
      type: 'string',
      valueName: 'name',
      description: `A warehouse table or metric view: ${WAREHOUSE_EXPORTABLE.join(', ')}.`,
    },
    from: {
      type: 'string',
      valueName: 'YYYY-MM-DD',
      description: "First UTC day (inclusive) of the table's date column.",
    },
    to: { type: 'string', valueName: 'YYYY-MM-DD', description: 'Last UTC day (inclusive).' },
    format: {
      type: 'string',
      valueName: 'csv|parquet',
      description: 'CSV (RFC 4180, with a header row) or Parquet (typed columns).',
    },
    out: {
      type: 'string',
      valueName: 'file',
      description: 'Write here (complete or not at all) instead of stdout.',
    },
  },
  async run(context, args) {
    const table = requiredFlag(args, 'table');
    if (!WAREHOUSE_EXPORTABLE.includes(table)) {
      throw new UsageError(`--table must be one of ${WAREHOUSE_EXPORTABLE.join(', ')}; not ${table}`);
    }
    const format = requiredFlag(args, 'format');
    if (!(WAREHOUSE_EXPORT_FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`--format must be ${WAREHOUSE_EXPORT_FORMATS.join(' or ')}, not ${format}`);
    }
    const { from, to } = dayRange(args, table);
    const outFile = optionalFlag(args, 'out');
    if (outFile === '') throw new UsageError('--out must not be empty');
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    if (format === 'parquet' && outFile === undefined && isTerminal(context.stdout)) {
      throw new UsageError('Parquet is binary: give --out <file>, or redirect stdout to a file or a pipe');
    }

    const infrastructure = await context.open();
    const warehouse = await openWarehouse(context.config, infrastructure.sql, infrastructure.logger);
    try {
      const rows = await exportTo(outFile, context.stdout, (out) =>
        exportWarehouseRelation(warehouse.sql, {
          relation: table,
          from,
          to,
          format: format as WarehouseExportFormat,
          out,
          onProgress: progress(context, table),
        }),
      );
      const range =
        from === undefined && to === undefined ? '' : ` from ${from ?? 'the start'} to ${to ?? 'now'}`;
      context.stderr.write(
        `Exported ${formatCount(rows)} rows of ${table}${range} as ${format}${outFile ? ` to ${outFile}` : ''}.\n`,
      );
      return 0;
    } finally {
      await warehouse.close();
    }
  },
};

/** A progress bar on stderr, finished when the last row is written. */
function progress(context: CliContext, table: string): (done: number, total: number) => void {
  const bar = new ProgressBar({
    label: `exporting ${table}`,
    total: undefined,
    stream: context.stderr,
    interactive: context.interactive,
    unit: 'rows',
  });
  return (done, total) => {
    bar.update(done, total);
    if (done === total) bar.finish();
  };
}

/**
 * Runs `write` into stdout, or into `<file>.partial` renamed to `file` once complete, so that a failed
 * export never leaves a plausible file behind.
 */
async function exportTo(
  file: string | undefined,
  stdout: Writable,
  write: (out: Writable) => Promise<{ rows: number }>,
): Promise<number> {
  if (file === undefined) return (await write(stdout)).rows;
  const partial = `${file}.partial`;
  const out = await openFile(partial);
  try {
    const { rows } = await write(out);
    out.end();
    await finished(out);
    await rename(partial, file);
    return rows;
  } catch (error) {
    out.destroy();
    await rm(partial, { force: true });
    throw error;
  }
}

/** `--from`/`--to` as UTC days, checked against each other and against the table having a date column. */
function dayRange(args: ParsedArgs, table: string): { from?: string; to?: string } {
  const from = optionalFlag(args, 'from');
  const to = optionalFlag(args, 'to');
  for (const [flag, day] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (day === undefined) continue;
    if (!isExportDay(day)) throw new UsageError(`--${flag} must be a UTC day YYYY-MM-DD, not ${day}`);
    if (!exportDateColumn(table)) {
      throw new UsageError(`--${flag} does not apply to ${table}: it covers all time`);
    }
  }
  if (from !== undefined && to !== undefined && from > to) {
    throw new UsageError('--from must not be after --to');
  }
  return { from, to };
}

function isTerminal(stream: Writable): boolean {
  return (stream as Writable & { isTTY?: boolean }).isTTY === true;
}

/** Creates `path` (never over an existing file) and streams into it; failing to create it throws here. */
async function openFile(path: string): Promise<Writable> {
  const file = await open(path, 'wx');
  const stream = file.createWriteStream();
  // A write error surfaces through `finished` (or the next 'drain' wait), not as an unhandled event.
  stream.on('error', () => undefined);
  return stream;
}
