import { auditMigrations } from '@tally/audit';
import {
  type Infrastructure,
  createLogger,
  loadConfig,
  openInfrastructure,
  ConfigError,
} from '@tally/platform';
import { readModelMigrations } from '@tally/read-models';
import { type CliCommand, type CliContext, parseArgs, UsageError, usage } from './cli';
import { commands } from './commands';

/**
 * `npm run tally -- <group> <command> [arguments] [--flags]`: the operator's and auditor's command line.
 * It works on the database the apps use (DATABASE_URL, or the embedded PGlite data under TALLY_DATA_DIR
 * while embedded Tally is not running). Exit codes: 0 done, 1 the check failed, 2 bad usage or config.
 */
export async function runCli(
  argv: readonly string[],
  context: Omit<CliContext, 'open' | 'config'>,
): Promise<number> {
  const [group, name, ...rest] = argv;
  if (group === undefined || group === 'help' || group === '--help') {
    context.stdout.write(help());
    return group === undefined ? 2 : 0;
  }
  const command = commands.find((candidate) => candidate.group === group && candidate.name === name);
  if (!command) {
    context.stderr.write(`Unknown command: ${[group, name].filter(Boolean).join(' ')}\n\n${help()}`);
    return 2;
  }
  let infrastructure: Promise<Infrastructure> | undefined;
  try {
    const args = parseArgs(command, rest);
    if (args.flags.help === true) {
      context.stdout.write(commandHelp(command));
      return 0;
    }
    const config = loadConfig();
    const logger = createLogger(
      process.env.LOG_LEVEL ? config.LOG_LEVEL : 'warn',
      'tally-cli',
      process.stderr,
    );
    const full: CliContext = {
      ...context,
      config,
      open: () =>
        (infrastructure ??= openInfrastructure(config, logger, {
          migrations: [readModelMigrations, auditMigrations],
          applicationName: 'tally-cli',
        })),
    };
    return await command.run(full, args);
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr.write(`${error.message}\n\nUsage: ${usage(command)}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      context.stderr.write(`${error.message}\n`);
      return 2;
    }
    context.stderr.write(`${command.group} ${command.name} failed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    if (infrastructure) await (await infrastructure.catch(() => undefined))?.close().catch(() => undefined);
  }
}

function help(): string {
  const lines = commands.map(
    (command) => `  ${`${command.group} ${command.name}`.padEnd(26)}${command.summary}`,
  );
  return `Usage: npm run tally -- <group> <command> [arguments] [--flags]\n\nCommands:\n${lines.join('\n')}\n\nAdd --help after a command for its flags.\n`;
}

function commandHelp(command: CliCommand): string {
  const flags = Object.entries(command.flags ?? {}).map(
    ([flag, spec]) =>
      `  --${flag}${spec.type === 'string' ? ` <${spec.valueName ?? flag}>` : ''}\n      ${spec.description}`,
  );
  return `${command.summary}\n\nUsage: ${usage(command)}\n${flags.length ? `\nFlags:\n${flags.join('\n')}\n` : ''}`;
}

if (require.main === module) {
  void runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    interactive: process.stderr.isTTY,
  }).then((code) => {
    process.exitCode = code;
  });
}
