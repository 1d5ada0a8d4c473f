import { cpus, loadavg, totalmem } from 'node:os';

/** Latency percentiles (nearest rank) of a sample in milliseconds. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

/** Prints a Markdown table: the first column left-aligned, the others right-aligned. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (i < 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(
    `| ${widths.map((width, i) => (i < 1 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`,
  );
  for (const row of rows) console.log(line(row));
}

/** The facts a reader needs to compare this run with another machine's. */
export function printMachine(
  url: string,
  serverVersion: string,
  settings: Readonly<Record<string, string>>,
): void {
  const server = new URL(url);
  console.log(`- date: ${new Date().toISOString()}`);
  console.log(`- CPU: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`);
  console.log(
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB; load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  console.log(`- PostgreSQL: ${serverVersion} at ${server.hostname}:${server.port || '5432'}`);
  for (const [name, value] of Object.entries(settings)) console.log(`  - ${name} = ${value}`);
  console.log(`- Node.js: ${process.version}`);
}

/** A rate as a whole number with thousands separators (`52,310`). */
export function rate(events: number, seconds: number): string {
  return Math.round(events / seconds).toLocaleString('en-US');
}

/** A count with thousands separators. */
export function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** Seconds since `started` (from `process.hrtime.bigint()`). */
export function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** `MET` or `MISSED`, for the aims the issue sets. */
export function verdict(met: boolean): string {
  return met ? 'MET' : 'MISSED';
}
