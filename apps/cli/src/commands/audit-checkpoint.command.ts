import { createCheckpoint, MISSING_SIGNING_KEY, resolveCheckpointSigner } from '@tally/audit';
import { ConfigError } from '@tally/platform';
import { type CliCommand, UsageError } from '../cli';

/**
 * `audit checkpoint`: signs the Merkle root of the global log up to its current head now, instead of
 * waiting for the projectors' schedule, and prints the signed checkpoint as JSON. When no event arrived
 * since the last checkpoint it prints that one.
 */
export const auditCheckpointCommand: CliCommand = {
  group: 'audit',
  name: 'checkpoint',
  summary: 'Sign a checkpoint of the log now and print it',
  async run(context, args) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    const signer = resolveCheckpointSigner(context.config);
    if (!signer) throw new ConfigError([MISSING_SIGNING_KEY]);
    const { sql } = await context.open();
    const checkpoint = await createCheckpoint(sql, signer);
    context.stdout.write(`${JSON.stringify(checkpoint, null, 2)}\n`);
    return 0;
  },
};
