import { type CliCommand, parseArgs, requiredFlag, UsageError, usage } from './cli';

const command: CliCommand = {
  group: 'audit',
  name: 'export',
  summary: 'Export events',
  flags: {
    from: { type: 'string', description: 'start', valueName: 'time' },
    json: { type: 'boolean', description: 'as JSON' },
  },
  run: () => Promise.resolve(0),
};

describe('parseArgs', () => {
  it('reads positionals, --name value, --name=value and boolean flags', () => {
    expect(parseArgs(command, ['catalog', '--from', '2026-01-01', '--json'])).toEqual({
      positionals: ['catalog'],
      flags: { from: '2026-01-01', json: true },
    });
    expect(parseArgs(command, ['--from=2026-01-01']).flags.from).toBe('2026-01-01');
  });

  it('rejects an unknown flag, a missing value and a value on a boolean, naming the flag', () => {
    expect(() => parseArgs(command, ['--form', 'x'])).toThrow(new UsageError('unknown flag --form'));
    expect(() => parseArgs(command, ['--from'])).toThrow(new UsageError('--from needs a value'));
    expect(() => parseArgs(command, ['--from', '--json'])).toThrow(new UsageError('--from needs a value'));
    expect(() => parseArgs(command, ['--json=yes'])).toThrow(new UsageError('--json takes no value'));
  });

  it('accepts --help on every command', () => {
    expect(parseArgs(command, ['--help']).flags.help).toBe(true);
  });

  it('names a required flag that is missing', () => {
    expect(() => requiredFlag(parseArgs(command, []), 'from')).toThrow(new UsageError('--from is required'));
  });
});

describe('usage', () => {
  it('lists the flags with their value names', () => {
    expect(usage(command)).toBe('npm run tally -- audit export [--from <time>] [--json]');
  });
});
