import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import {
  AUDIT_EXPORT_FORMATS,
  type AuditExportFormat,
  exportAuditLog,
  resolveCheckpointSigner,
} from '@tally/audit';
import { type CliCommand, optionalFlag, requiredFlag, UsageError } from '../cli';
import { formatCount, ProgressBar } from '../progress';

// A date, or a date and time with a zone: a bare local time would mean different instants on the
// auditor's and the operator's machines.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * `audit export --from <ISO time> --to <ISO time> [--stream S] --format jsonl|csv [--out file]`: the events
 * recorded in [from, to) with their hashes, inclusion proofs and the covering signed checkpoint, for offline
 * verification (docs/audit.md). The export goes to stdout or `--out`; progress goes to stderr.
 */
export const auditExportCommand: CliCommand = {
  group: 'audit',
  name: 'export',
  summary: 'Export events with hashes, inclusion proofs and their signed checkpoint',
  flags: {
    from: {
      type: 'string',
      valueName: 'ISO time',
      description: 'First instant (inclusive), e.g. 2026-11-01 or 2026-11-01T00:00:00Z.',
    },
    to: { type: 'string', valueName: 'ISO time', description: 'Last instant (exclusive).' },
    stream: { type: 'string', valueName: 'streamId', description: 'Only this stream, e.g. order-<uuid>.' },
    format: { type: 'string', valueName: 'jsonl|csv', description: 'JSON lines or CSV (RFC 4180).' },
    out: {
      type: 'string',
      valueName: 'file',
      description: 'Write here (complete or not at all) instead of stdout.',
    },
  },
  async run(context, args) {
    const from = instantFlag(requiredFlag(args, 'from'), 'from');
    const to = instantFlag(requiredFlag(args, 'to'), 'to');
    if (from.getTime() > to.getTime()) throw new UsageError('--from must not be after --to');
    const format = requiredFlag(args, 'format');
    if (!(AUDIT_EXPORT_FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`--format must be ${AUDIT_EXPORT_FORMATS.join(' or ')}, not ${format}`);
    }
    const streamId = optionalFlag(args, 'stream');
    if (streamId === '') throw new UsageError('--stream must not be empty');
    const outFile = optionalFlag(args, 'out');
    if (outFile === '') throw new UsageError('--out must not be empty');
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);

    const { sql } = await context.open();
    const signer = resolveCheckpointSigner(context.config);
    // Into a temporary file renamed at the end, so that a failed export never leaves a plausible file.
    const partial = outFile === undefined ? undefined : `${outFile}.partial`;
    const out = partial === undefined ? context.stdout : createWriteStream(partial, { flags: 'wx' });
    const bars = {
      tree: new ProgressBar({
        label: 'hashing log',
        total: undefined,
        stream: context.stderr,
        interactive: context.interactive,
      }),
      events: new ProgressBar({
        label: 'exporting',
        total: undefined,
        stream: context.stderr,
        interactive: context.interactive,
      }),
    };
    let phase: 'tree' | 'events' = 'tree';
    try {
      const result = await exportAuditLog(sql, {
        from,
        to,
        streamId,
        format: format as AuditExportFormat,
        out,
        signer,
        onProgress: (next, done, total) => {
          if (next !== phase) bars[phase].finish();
          phase = next;
          bars[next].update(done, total);
        },
      });
      bars[phase].finish();
      if (partial !== undefined && outFile !== undefined) {
        out.end();
        await finished(out);
        await rename(partial, outFile);
      }
      const c = result.checkpoint;
      context.stderr.write(
        (result.createdCheckpoint ? `Signed checkpoint #${c.sequence}. ` : '') +
          `Exported ${formatCount(result.events)} events of ${formatCount(result.streams)} streams${outFile ? ` to ${outFile}` : ''}, ` +
          `proved against checkpoint #${c.sequence} (${formatCount(c.leafCount)} events, root ${c.root}, key id ${c.keyId}).\n` +
          `Signing public key: ${c.publicKey}. Verify offline with ` +
          '`node tools/audit/verify-export.mjs <file> --public-key <the public key the operator published>`.\n',
      );
      return 0;
    } catch (error) {
      if (partial !== undefined) {
        out.destroy();
        await rm(partial, { force: true });
      }
      throw error;
    }
  },
};

function instantFlag(text: string, flag: string): Date {
  const instant = ISO_INSTANT.test(text) ? new Date(text) : undefined;
  if (!instant || Number.isNaN(instant.getTime())) {
    throw new UsageError(
      `--${flag} must be an ISO-8601 date or date-time with a zone (2026-11-01 or 2026-11-01T10:00:00Z), not ${text}`,
    );
  }
  return instant;
}
