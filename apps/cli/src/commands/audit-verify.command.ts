import {
  resolveCheckpointSigner,
  UnknownCheckpointError,
  type VerificationReport,
  verifyLog,
} from '@tally/audit';
import { type CliCommand, optionalFlag, UsageError } from '../cli';
import { formatCount, ProgressBar } from '../progress';

/**
 * `audit verify [--stream S] [--from <checkpoint>] [--json]`: recomputes every stream's hash chain and the
 * signed checkpoints' Merkle roots (docs/audit.md). Progress goes to stderr; the report (the first broken
 * link per stream, every checkpoint the log no longer matches) to stdout. Exit 1 when anything is broken.
 */
export const auditVerifyCommand: CliCommand = {
  group: 'audit',
  name: 'verify',
  summary: 'Recompute hash chains and signed checkpoint roots; report every break',
  flags: {
    stream: { type: 'string', valueName: 'streamId', description: "Check only this stream's chain." },
    from: {
      type: 'string',
      valueName: 'checkpoint',
      description: 'Start at this checkpoint sequence: trust its signed frontier, check what follows it.',
    },
    json: { type: 'boolean', description: 'Print the report as JSON.' },
  },
  async run(context, args) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    const streamId = optionalFlag(args, 'stream');
    if (streamId === '') throw new UsageError('--stream must not be empty');
    const fromText = optionalFlag(args, 'from');
    const fromCheckpoint =
      fromText !== undefined && /^[1-9]\d{0,14}$/.test(fromText) ? Number(fromText) : undefined;
    if (fromText !== undefined && fromCheckpoint === undefined) {
      throw new UsageError(`--from must be a checkpoint sequence (1, 2, …), not ${fromText}`);
    }
    if (streamId !== undefined && fromCheckpoint !== undefined) {
      throw new UsageError('--stream and --from cannot be combined');
    }

    const { sql } = await context.open();
    // Only to flag checkpoints signed by another key; full mode without a key simply skips that check.
    const expectedKeyId = resolveCheckpointSigner(context.config)?.keyId;
    // One bar per phase: chain links first, then the checkpoints' Merkle trees.
    const bars = new Map<string, ProgressBar>();
    const barOf = (phase: 'chains' | 'checkpoints') => {
      let bar = bars.get(phase);
      if (!bar) {
        for (const earlier of bars.values()) earlier.finish();
        bar = new ProgressBar({
          label: phase === 'chains' ? 'checking chains' : 'checking checkpoints',
          total: undefined,
          stream: context.stderr,
          interactive: context.interactive,
        });
        bars.set(phase, bar);
      }
      return bar;
    };
    let report: VerificationReport;
    try {
      report = await verifyLog(sql, {
        ...(streamId === undefined ? {} : { streamId }),
        ...(fromCheckpoint === undefined ? {} : { fromCheckpoint }),
        ...(expectedKeyId === undefined ? {} : { expectedKeyId }),
        onProgress: ({ phase, done, total }) => {
          barOf(phase).update(done, total);
        },
      });
    } catch (error) {
      if (error instanceof UnknownCheckpointError) throw new UsageError(`--from: ${error.message}`);
      throw error;
    }
    [...bars.values()].at(-1)?.finish();
    context.stdout.write(
      args.flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : describeReport(report),
    );
    return report.ok ? 0 : 1;
  },
};

/** The report as an auditor reads it: verdict first, then each break by stream and version. */
export function describeReport(report: VerificationReport): string {
  const checkpoints =
    report.checkpointsChecked === 1 ? '1 checkpoint' : `${report.checkpointsChecked} checkpoints`;
  const lines = [
    `${report.ok ? 'OK' : 'BROKEN'}: checked ${formatCount(report.eventsChecked)} events in ${formatCount(report.streamsChecked)} streams and ${checkpoints} (scope ${report.scope})`,
  ];
  for (const broken of report.streams) {
    lines.push(`  stream ${broken.streamId} version ${broken.version}: ${broken.kind} — ${broken.message}`);
  }
  for (const broken of report.checkpoints) {
    lines.push(`  checkpoint ${broken.sequence}: ${broken.kind} — ${broken.message}`);
  }
  for (const foreign of report.foreignKeys) {
    lines.push(
      `  warning: checkpoint ${foreign.sequence} is signed by key ${foreign.keyId}, not the configured key`,
    );
  }
  lines.push(
    report.lastVerifiedCheckpoint === undefined
      ? 'No checkpoint verified.'
      : `Last verified checkpoint: ${report.lastVerifiedCheckpoint}`,
  );
  return `${lines.join('\n')}\n`;
}
