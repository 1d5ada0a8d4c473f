import type { SqlClient } from '@tally/database';
import {
  allProjections,
  type Projection,
  projectionCheckpoints,
  projectionRebuilds,
  rebuildProjection,
  verifyProjection,
} from '@tally/read-models';
import { openWarehouse, WAREHOUSE_PROJECTION, warehouseProjectionFor } from '@tally/warehouse';
import { type CliCommand, type CliContext, UsageError } from '../cli';
import { formatCount, formatDuration, ProgressBar } from '../progress';
import { describeReport, describeStatus, shownCheckpoint, table } from './projections/projections.format';

/** Every projection: the read models, then the analysts' warehouse (which keeps its tables apart). */
const names = [...allProjections.map((p) => p.name), WAREHOUSE_PROJECTION];
const projectionNames = names.join(', ');

/** The projection named by the only positional argument (if any), or a usage error listing the valid names. */
function optionalName(positionals: readonly string[]): string | undefined {
  const [name, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
  if (name === undefined) return undefined;
  if (!names.includes(name)) throw new UsageError(`unknown projection '${name}': one of ${projectionNames}`);
  return name;
}

function requiredName(positionals: readonly string[]): string {
  const name = optionalName(positionals);
  if (name === undefined) throw new UsageError(`a projection name is required: one of ${projectionNames}`);
  return name;
}

/** A projection with the client of the database that holds its tables, checkpoint and rebuilds. */
interface Located {
  readonly projection: Projection;
  readonly sql: SqlClient;
}

/**
 * Runs `work` with the named projections (all when `only` is undefined) located. The read models are in
 * the main database; the warehouse, opened only when asked for, in its own schema or database, closed
 * when `work` is done.
 */
async function withProjections<T>(
  context: CliContext,
  only: string | undefined,
  work: (located: readonly Located[]) => Promise<T>,
): Promise<T> {
  const infrastructure = await context.open();
  const located: Located[] = allProjections
    .filter((projection) => only === undefined || projection.name === only)
    .map((projection) => ({ projection, sql: infrastructure.sql }));
  if (only !== undefined && only !== WAREHOUSE_PROJECTION) return work(located);
  const warehouse = await openWarehouse(context.config, infrastructure.sql, infrastructure.logger);
  try {
    const projection = warehouseProjectionFor(context.config, infrastructure.authSecret);
    return await work([...located, { projection, sql: warehouse.sql }]);
  } finally {
    await warehouse.close();
  }
}

/** {@link withProjections} for the one projection `name`. */
function withProjection<T>(
  context: CliContext,
  name: string,
  work: (located: Located) => Promise<T>,
): Promise<T> {
  return withProjections(context, name, ([located]) => {
    if (!located) throw new UsageError(`unknown projection '${name}': one of ${projectionNames}`);
    return work(located);
  });
}

/** Each projection's stored checkpoint and latest rebuild, from the database it keeps them in. */
async function standing(located: readonly Located[]) {
  return Promise.all(
    located.map(async ({ projection, sql }) => ({
      projection,
      stored: (await projectionCheckpoints(sql)).find((row) => row.name === projection.name),
      rebuild: (await projectionRebuilds(sql)).find((row) => row.name === projection.name),
    })),
  );
}

const list: CliCommand = {
  group: 'projections',
  name: 'list',
  summary: 'List the projections with their checkpoint, events processed and latest rebuild',
  async run(context, args) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const rows = await withProjections(context, undefined, standing);
    context.stdout.write(
      table(
        ['projection', 'events', 'poison', 'updated', 'rebuild', 'checkpoint'],
        rows.map(({ projection, stored, rebuild }) => [
          projection.name,
          formatCount(stored?.eventsProcessed ?? 0),
          formatCount(stored?.poisonEvents ?? 0),
          stored ? stored.updatedAt.toISOString() : 'never',
          rebuild?.state ?? '-',
          shownCheckpoint(stored?.checkpoint ?? ''),
        ]),
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
    const rows = await withProjections(context, optionalName(args.positionals), standing);
    context.stdout.write(
      rows
        .map(({ projection, stored, rebuild }) =>
          describeStatus(projection.name, projection.eventTypes, stored, rebuild),
        )
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
      description: 'Events per batch (default 40000)',
    },
  },
  async run(context, args) {
    const name = requiredName(args.positionals);
    const batchFlag = args.flags['batch-size'];
    const batchSize = typeof batchFlag === 'string' ? Number(batchFlag) : undefined;
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
      throw new UsageError('--batch-size must be a positive integer');
    }
    const { eventStore } = await context.open();
    return withProjection(context, name, async ({ projection, sql }) => {
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
              context.stderr.write(
                `resuming from ${formatCount(progress.processed)} events already applied\n`,
              );
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
    });
  },
};

const verify: CliCommand = {
  group: 'projections',
  name: 'verify',
  arguments: '<name>',
  summary:
    'Rebuild a projection into a scratch copy and diff it against the live read model (exit 1 if they differ)',
  async run(context, args) {
    const name = requiredName(args.positionals);
    const { eventStore } = await context.open();
    return withProjection(context, name, async ({ projection, sql }) => {
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
    });
  },
};

/** `projections list | status | rebuild | verify`. */
export const projectionCommands: readonly CliCommand[] = [list, status, rebuild, verify];
