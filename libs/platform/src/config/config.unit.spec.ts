import { generateKeyPairSync, randomBytes } from 'node:crypto';
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

describe('audit settings', () => {
  it('checkpoints hourly and verifies daily by default, with no key configured', () => {
    const config = loadConfig({});
    expect(config.TALLY_AUDIT_CHECKPOINT_SECONDS).toBe(3600);
    expect(config.TALLY_AUDIT_VERIFY_SECONDS).toBe(86_400);
    expect(config.TALLY_AUDIT_SIGNING_KEY).toBeUndefined();
  });

  it('turns a schedule off with 0 and rejects negative or fractional intervals', () => {
    expect(loadConfig({ TALLY_AUDIT_VERIFY_SECONDS: '0' }).TALLY_AUDIT_VERIFY_SECONDS).toBe(0);
    expect(() => loadConfig({ TALLY_AUDIT_CHECKPOINT_SECONDS: '-1' })).toThrow(
      /TALLY_AUDIT_CHECKPOINT_SECONDS/,
    );
    expect(() => loadConfig({ TALLY_AUDIT_VERIFY_SECONDS: '1.5' })).toThrow(/TALLY_AUDIT_VERIFY_SECONDS/);
  });

  it('accepts an Ed25519 key as PKCS#8 PEM or as its base64 or base64url seed', () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const seed = randomBytes(32);
    for (const key of [pem, seed.toString('base64'), seed.toString('base64url')]) {
      expect(loadConfig({ TALLY_AUDIT_SIGNING_KEY: key }).TALLY_AUDIT_SIGNING_KEY).toBe(key.trim());
    }
  });

  it('rejects other keys, naming the variable and never echoing the value', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    const short = randomBytes(16).toString('base64');
    for (const key of [rsa, short, 'not a key']) {
      let error: unknown;
      try {
        loadConfig({ TALLY_AUDIT_SIGNING_KEY: key });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toContain('TALLY_AUDIT_SIGNING_KEY: must be an Ed25519 private key');
      expect(message).not.toContain(short);
    }
  });
});

describe('warehouse settings', () => {
  it('keeps the warehouse in the main database, schema warehouse, with a NOLOGIN analyst role by default', () => {
    const config = loadConfig({});
    expect(config.WAREHOUSE_URL).toBeUndefined();
    expect(config.TALLY_WAREHOUSE_SCHEMA).toBe('warehouse');
    expect(config.TALLY_WAREHOUSE_CART_IDLE_MINUTES).toBe(60);
    expect(config.TALLY_WAREHOUSE_SWEEP_SECONDS).toBe(60);
    expect(config.TALLY_WAREHOUSE_PSEUDONYM_KEY).toBeUndefined();
    expect(config.TALLY_ANALYST_DB_ROLE).toBe('tally_analyst');
    expect(config.TALLY_ANALYST_DB_PASSWORD).toBeUndefined();
  });

  it('accepts a separate warehouse database and plain lower-case names', () => {
    const config = loadConfig({
      WAREHOUSE_URL: 'postgres://u@warehouse:5432/analytics',
      TALLY_WAREHOUSE_SCHEMA: 'bi_2030',
      TALLY_ANALYST_DB_ROLE: 'bi_reader',
      TALLY_WAREHOUSE_CART_IDLE_MINUTES: '30',
    });
    expect(config).toMatchObject({
      WAREHOUSE_URL: 'postgres://u@warehouse:5432/analytics',
      TALLY_WAREHOUSE_SCHEMA: 'bi_2030',
      TALLY_ANALYST_DB_ROLE: 'bi_reader',
      TALLY_WAREHOUSE_CART_IDLE_MINUTES: 30,
    });
  });

  it.each([
    ['WAREHOUSE_URL', 'mysql://u@db/x'],
    ['TALLY_WAREHOUSE_SCHEMA', 'Warehouse'],
    ['TALLY_WAREHOUSE_SCHEMA', 'wh; DROP TABLE events'],
    ['TALLY_WAREHOUSE_SCHEMA', 'public'],
    ['TALLY_WAREHOUSE_SCHEMA', 'pg_warehouse'],
    ['TALLY_ANALYST_DB_ROLE', '1analyst'],
    ['TALLY_ANALYST_DB_ROLE', 'analyst"role'],
    ['TALLY_ANALYST_DB_PASSWORD', 'short'],
    ['TALLY_WAREHOUSE_PSEUDONYM_KEY', 'too-short'],
    ['TALLY_WAREHOUSE_CART_IDLE_MINUTES', '0'],
    ['TALLY_WAREHOUSE_CART_IDLE_MINUTES', '2.5'],
    ['TALLY_WAREHOUSE_SWEEP_SECONDS', '0'],
    ['TALLY_WAREHOUSE_SWEEP_SECONDS', '3601'],
  ])('rejects %s=%s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });
});
