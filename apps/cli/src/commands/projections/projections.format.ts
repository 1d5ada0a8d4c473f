import type { ProjectionCheckpointStatus, ProjectionRebuildStatus, VerifyReport } from '@tally/read-models';
import { formatCount } from '../../progress';

/** Columns padded to their widest cell, two spaces apart. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** A checkpoint as people read it: the empty start checkpoint is spelled out. */
export function shownCheckpoint(checkpoint: string): string {
  return checkpoint === '' ? '(start)' : checkpoint;
}

/** One projection's status, as `projections status` prints it. */
export function describeStatus(
  name: string,
  eventTypes: readonly string[],
  stored: ProjectionCheckpointStatus | undefined,
  rebuild: ProjectionRebuildStatus | undefined,
): string {
  const lines = [
    name,
    `  event types:      ${eventTypes.join(', ')}`,
    `  checkpoint:       ${shownCheckpoint(stored?.checkpoint ?? '')}`,
    `  events processed: ${formatCount(stored?.eventsProcessed ?? 0)}`,
    `  poison events:    ${formatCount(stored?.poisonEvents ?? 0)}`,
    `  updated:          ${stored ? stored.updatedAt.toISOString() : 'never'}`,
  ];
  if (rebuild) {
    const total = rebuild.totalEstimate === null ? '' : ` of ~${formatCount(rebuild.totalEstimate)}`;
    lines.push(
      `  rebuild:          ${rebuild.state}, ${formatCount(rebuild.eventsProcessed)}${total} events, ` +
        `started ${rebuild.startedAt.toISOString()}` +
        (rebuild.finishedAt ? `, finished ${rebuild.finishedAt.toISOString()}` : '') +
        (rebuild.state === 'running' ? ' (if no process runs it, `rebuild` resumes it)' : ''),
    );
    if (rebuild.error) lines.push(`  rebuild error:    ${rebuild.error}`);
  } else {
    lines.push('  rebuild:          never');
  }
  return lines.join('\n') + '\n';
}

/** A verification report: one line per table, then sample rows of each difference. */
export function describeReport(report: VerifyReport): string {
  const out = [
    `${report.projection} at ${shownCheckpoint(report.checkpoint)}: ${
      report.identical ? 'identical to a rebuild from the events' : 'DIFFERS from a rebuild from the events'
    }`,
    table(
      ['table', 'live rows', 'rebuilt rows', 'missing', 'unexpected'],
      report.tables.map((t) => [
        t.table,
        formatCount(t.liveRows),
        formatCount(t.rebuiltRows),
        formatCount(t.missing),
        formatCount(t.unexpected),
      ]),
    ).trimEnd(),
  ];
  for (const t of report.tables) {
    for (const row of t.samples.missing)
      out.push(`  ${t.table}: missing from the live table: ${JSON.stringify(row)}`);
    for (const row of t.samples.unexpected)
      out.push(`  ${t.table}: in the live table, not in a rebuild: ${JSON.stringify(row)}`);
  }
  return out.join('\n') + '\n';
}
