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

describe('checkout settings', () => {
  it('defaults to a 20 % tax rate and a 15 minute payment timeout', () => {
    const config = loadConfig({});
    expect(config.TAX_RATE_BASIS_POINTS).toBe(2000);
    expect(config.PAYMENT_TIMEOUT_MS).toBe(900_000);
  });

  it('requires a webhook secret with a Stripe key', () => {
    expect(() => loadConfig({ STRIPE_SECRET_KEY: 'sk_test_x' })).toThrow(/STRIPE_WEBHOOK_SECRET/);
    expect(
      loadConfig({ STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' }).STRIPE_SECRET_KEY,
    ).toBe('sk_test_x');
  });
});

describe('NATS_PREFIX', () => {
  it('defaults to tally and rejects subject wildcards', () => {
    expect(loadConfig({}).NATS_PREFIX).toBe('tally');
    expect(loadConfig({ NATS_PREFIX: 'run_42' }).NATS_PREFIX).toBe('run_42');
    expect(() => loadConfig({ NATS_PREFIX: 'a.>' })).toThrow(/NATS_PREFIX/);
  });
});
