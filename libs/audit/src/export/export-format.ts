import type { SignedCheckpoint } from '../checkpoint-format';

/** The formats `audit export` writes (docs/audit.md, "Export"). */
export type AuditExportFormat = 'jsonl' | 'csv';

export const AUDIT_EXPORT_FORMATS: readonly AuditExportFormat[] = ['jsonl', 'csv'];

/** The version tag on the first record of every export; a verifier refuses tags it does not know. */
export const AUDIT_EXPORT_FORMAT = 'tally-audit-export/v1';

/**
 * The first record of an export (line 1 of JSONL; the `data` of the CSV `checkpoint` row): the signed
 * checkpoint that covers every exported event, the algorithms a verifier must implement, and what was
 * selected.
 */
export interface AuditExportHeader {
  readonly format: typeof AUDIT_EXPORT_FORMAT;
  readonly checkpoint: SignedCheckpoint;
  readonly hash: 'sha256';
  readonly canonicalJson: 'postgresql-jsonb-text';
  readonly merkleTree: 'rfc6962-sha256';
  readonly signature: 'ed25519';
  readonly selection: {
    /** Inclusive, ISO-8601. */
    readonly from: string;
    /** Exclusive, ISO-8601. */
    readonly to: string;
    readonly streamId: string | null;
  };
  readonly exportedAt: string;
}

/** The CSV columns, in order. */
export const AUDIT_EXPORT_CSV_COLUMNS = [
  'record',
  'leaf_index',
  'position',
  'event_id',
  'stream_id',
  'version',
  'type',
  'recorded_at',
  'data',
  'metadata',
  'previous_hash',
  'hash',
  'proof',
] as const;

/**
 * One exported event. `data` and `metadata` are PostgreSQL's jsonb text, written into the export as they
 * are, so that a verifier sees exactly the bytes the database hashed (JSON numbers stay exact).
 */
export interface ExportedEventRow {
  readonly leafIndex: number;
  readonly position: string;
  readonly eventId: string;
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
  readonly dataJson: string;
  readonly metadataJson: string;
  readonly recordedAt: string;
  /** Null when the stream's previous version is missing from the log (the verifier reports it). */
  readonly previousHash: string | null;
  readonly hash: string;
  readonly proof: readonly string[];
}

/** Line 1 of a JSONL export, with its line break. */
export function jsonlHeader(header: AuditExportHeader): string {
  return `${JSON.stringify(header)}\n`;
}

/** One JSONL event line, with its line break. */
export function jsonlEvent(event: ExportedEventRow): string {
  return (
    `{"leafIndex":${event.leafIndex},"position":${JSON.stringify(event.position)},` +
    `"eventId":${JSON.stringify(event.eventId)},"streamId":${JSON.stringify(event.streamId)},` +
    `"version":${event.version},"type":${JSON.stringify(event.type)},` +
    `"data":${event.dataJson},"metadata":${event.metadataJson},` +
    `"recordedAt":${JSON.stringify(event.recordedAt)},"previousHash":${JSON.stringify(event.previousHash)},` +
    `"hash":${JSON.stringify(event.hash)},"proof":${JSON.stringify(event.proof)}}\n`
  );
}

/** The CSV header row and the `checkpoint` row. */
export function csvHeader(header: AuditExportHeader): string {
  const checkpointRow = ['checkpoint', '', '', '', '', '', '', '', JSON.stringify(header), '', '', '', ''];
  return csvRow(AUDIT_EXPORT_CSV_COLUMNS) + csvRow(checkpointRow);
}

/** One CSV `event` row. */
export function csvEvent(event: ExportedEventRow): string {
  return csvRow([
    'event',
    String(event.leafIndex),
    event.position,
    event.eventId,
    event.streamId,
    String(event.version),
    event.type,
    event.recordedAt,
    event.dataJson,
    event.metadataJson,
    event.previousHash ?? '',
    event.hash,
    event.proof.join(';'),
  ]);
}

/** An RFC 4180 record: fields holding `"`, `,`, CR or LF are quoted with `"` doubled; CRLF ends it. */
export function csvRow(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

function csvField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}
