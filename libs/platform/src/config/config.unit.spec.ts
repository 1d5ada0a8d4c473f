import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('runs embedded with defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.mode).toBe('embedded');
    expect(config.COMMAND_API_PORT).toBe(3001);
    expect(config.QUERY_API_PORT).toBe(3002);
    expect(config.CONSISTENCY_TIMEOUT_MS).toBe(2000);
  });

  it('runs in full mode with a database URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@db:5432/tally' }).mode).toBe('full');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).mode).toBe('embedded');
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', QUERY_API_PORT: 'abc', TALLY_SEEED: 'off' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('DATABASE_URL');
    expect(problems).toContain('QUERY_API_PORT');
    expect(problems).toContain('TALLY_SEEED: unknown setting');
  });
});
