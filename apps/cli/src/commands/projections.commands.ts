import {
  allProjections,
  type Projection,
  projectionCheckpoints,
  projectionRebuilds,
  rebuildProjection,
  verifyProjection,
} from '@tally/read-models';
import { type CliCommand, UsageError } from '../cli';
import { formatCount, formatDuration, ProgressBar } from '../progress';
import { describeReport, describeStatus, shownCheckpoint, table } from './projections/projections.format';

const projectionNames = allProjections.map((p) => p.name).join(', ');

/** The projection named by the only positional argument (if any), or a usage error listing the valid names. */
function optionalProjection(positionals: readonly string[]): Projection | undefined {
  const [name, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
  if (name === undefined) return undefined;
  const projection = allProjections.find((p) => p.name === name);
  if (!projection) throw new UsageError(`unknown projection '${name}': one of ${projectionNames}`);
  return projection;
}

function requiredProjection(positionals: readonly string[]): Projection {
  const projection = optionalProjection(positionals);
  if (!projection) throw new UsageError(`a projection name is required: one of ${projectionNames}`);
  return projection;
}

const list: CliCommand = {
  group: 'projections',
  name: 'list',
  summary: 'List the projections with their checkpoint, events processed and latest rebuild',
  async run(context, args) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const { sql } = await context.open();
    const stored = new Map((await projectionCheckpoints(sql)).map((row) => [row.name, row]));
    const rebuilds = new Map((await projectionRebuilds(sql)).map((row) => [row.name, row]));
    context.stdout.write(
      table(
        ['projection', 'events', 'poison', 'updated', 'rebuild', 'checkpoint'],
        allProjections.map(({ name }) => {
          const row = stored.get(name);
          return [
            name,
            formatCount(row?.eventsProcessed ?? 0),
            formatCount(row?.poisonEvents ?? 0),
            row ? row.updatedAt.toISOString() : 'never',
            rebuilds.get(name)?.state ?? '-',
            shownCheckpoint(row?.checkpoint ?? ''),
          ];
        }),
      ),
    );
    return 0;
  },
};

const status: CliCommand = {
  group: 'projections',
  name: 'status',
  arguments: '[<name>]',
  summary: 'Show where one projection (or each) stands, and its latest rebuild',
  async run(context, args) {
    const only = optionalProjection(args.positionals);
    const { sql } = await context.open();
    const stored = new Map((await projectionCheckpoints(sql)).map((row) => [row.name, row]));
    const rebuilds = new Map((await projectionRebuilds(sql)).map((row) => [row.name, row]));
    const shown = only ? [only] : allProjections;
    context.stdout.write(
      shown
        .map(({ name, eventTypes }) => describeStatus(name, eventTypes, stored.get(name), rebuilds.get(name)))
        .join('\n'),
    );
    return 0;
  },
};

const rebuild: CliCommand = {
  group: 'projections',
  name: 'rebuild',
  arguments: '<name>',
  summary: 'Rebuild a projection blue/green from the first event (resumes an interrupted rebuild)',
  flags: {
    'batch-size': {
      type: 'string',
      valueName: 'events',
      description: 'Events per transaction (default 10000)',
    },
  },
  async run(context, args) {
    const projection = requiredProjection(args.positionals);
    const batchFlag = args.flags['batch-size'];
    const batchSize = typeof batchFlag === 'string' ? Number(batchFlag) : undefined;
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
      throw new UsageError('--batch-size must be a positive integer');
    }
    const { sql, eventStore } = await context.open();
    const bar = new ProgressBar({
      label: `rebuild ${projection.name}`,
      total: undefined,
      stream: context.stderr,
      interactive: context.interactive,
    });
    // Ctrl-C stops after the batch in flight; the copy and its checkpoint stay for the next run.
    const abort = new AbortController();
    const interrupt = () => {
      abort.abort(new Error('interrupted'));
    };
    process.once('SIGINT', interrupt);
    let first = true;
    try {
      const result = await rebuildProjection({
        sql,
        store: eventStore,
        projection,
        signal: abort.signal,
        ...(batchSize ? { batchSize } : {}),
        onProgress: (progress) => {
          if (first && progress.processed > 0 && progress.phase === 'filling') {
            context.stderr.write(`resuming from ${formatCount(progress.processed)} events already applied\n`);
          }
          first = false;
          bar.update(progress.processed, progress.total);
        },
      });
      bar.finish();
      context.stdout.write(
        `${projection.name} rebuilt and switched: ${formatCount(result.eventsProcessed)} events in ` +
          `${formatDuration(result.seconds)}${result.resumed ? ' (resumed)' : ''}, checkpoint ${shownCheckpoint(result.checkpoint)}\n`,
      );
      return 0;
    } catch (error) {
      bar.finish();
      if (abort.signal.aborted) {
        context.stderr.write(`rebuild of ${projection.name} interrupted; run it again to resume\n`);
        return 1;
      }
      throw error;
    } finally {
      process.removeListener('SIGINT', interrupt);
    }
  },
};

const verify: CliCommand = {
  group: 'projections',
  name: 'verify',
  arguments: '<name>',
  summary:
    'Rebuild a projection into a scratch copy and diff it against the live read model (exit 1 if they differ)',
  async run(context, args) {
    const projection = requiredProjection(args.positionals);
    const { sql, eventStore } = await context.open();
    const bar = new ProgressBar({
      label: `verify ${projection.name}`,
      total: undefined,
      stream: context.stderr,
      interactive: context.interactive,
    });
    const report = await verifyProjection({
      sql,
      store: eventStore,
      projection,
      onProgress: (processed) => {
        bar.update(processed);
      },
    });
    bar.finish();
    context.stdout.write(describeReport(report));
    return report.identical ? 0 : 1;
  },
};

/** `projections list | status | rebuild | verify`. */
export const projectionCommands: readonly CliCommand[] = [list, status, rebuild, verify];
