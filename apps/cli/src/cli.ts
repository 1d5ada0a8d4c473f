import type { Writable } from 'node:stream';
import type { AppConfig, Infrastructure } from '@tally/platform';

/** Flags a command accepts: `--name value` for strings, `--name` for booleans. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  /** Shown in the usage line as `--name <valueName>`. */
  readonly valueName?: string;
}

export interface ParsedArgs {
  /** Positional arguments after `<group> <command>`. */
  readonly positionals: readonly string[];
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
}

/** What a command may use. `open` connects to the configured database (and migrates it) once. */
export interface CliContext {
  readonly config: AppConfig;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** True when stderr is a terminal (progress bars redraw in place; otherwise they print a line now and then). */
  readonly interactive: boolean;
  open(): Promise<Infrastructure>;
}

/**
 * One `npm run tally -- <group> <name> ...` command. `run` resolves to the process exit code: 0 success,
 * 1 the check it ran failed (a broken chain, a diff), 2 bad usage (thrown as {@link UsageError}).
 */
export interface CliCommand {
  readonly group: string;
  readonly name: string;
  /** Positional arguments in the usage line, e.g. `<name>`. */
  readonly arguments?: string;
  readonly summary: string;
  readonly flags?: Readonly<Record<string, FlagSpec>>;
  run(context: CliContext, args: ParsedArgs): Promise<number>;
}

/** Bad usage: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses `argv` (after group and command) against the command's flags; unknown flags are usage errors. */
export function parseArgs(command: CliCommand, argv: readonly string[]): ParsedArgs {
  const specs = command.flags ?? {};
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = splitFlag(arg.slice(2));
    if (name === 'help' && inline === undefined) {
      flags.help = true;
      continue;
    }
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown flag --${name}`);
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      throw new UsageError(`--${name} needs a value`);
    }
    flags[name] = value;
  }
  return { positionals, flags };
}

function splitFlag(text: string): [string, string | undefined] {
  const eq = text.indexOf('=');
  return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
}

/** A required string flag, or a {@link UsageError} naming it. */
export function requiredFlag(args: ParsedArgs, name: string): string {
  const value = args.flags[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** An optional string flag. */
export function optionalFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** The usage line of a command. */
export function usage(command: CliCommand): string {
  const flags = Object.entries(command.flags ?? {})
    .map(([name, spec]) =>
      spec.type === 'boolean' ? `[--${name}]` : `[--${name} <${spec.valueName ?? name}>]`,
    )
    .join(' ');
  return ['npm run tally --', command.group, command.name, command.arguments ?? '', flags]
    .filter(Boolean)
    .join(' ');
}
