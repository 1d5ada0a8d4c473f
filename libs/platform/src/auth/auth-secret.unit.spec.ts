import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config/config';
import { resolveAuthSecret } from './auth-secret';

describe('resolveAuthSecret', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tally-secret-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses TALLY_AUTH_SECRET when set', () => {
    const secret = 'x'.repeat(40);
    expect(resolveAuthSecret(loadConfig({ TALLY_AUTH_SECRET: secret, TALLY_DATA_DIR: dir }))).toBe(secret);
  });

  it('in embedded mode, generates a secret once, keeps it private under the data dir, and reuses it', () => {
    const config = loadConfig({ TALLY_DATA_DIR: dir });
    const first = resolveAuthSecret(config);
    expect(first).toMatch(/^[\w-]{43}$/);
    expect(resolveAuthSecret(config)).toBe(first);
    expect(readFileSync(join(dir, 'auth-secret'), 'utf8').trim()).toBe(first);
    expect(statSync(join(dir, 'auth-secret')).mode & 0o777).toBe(0o600);
  });

  it('in full mode, requires TALLY_AUTH_SECRET and names it', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://localhost/tally' });
    expect(() => resolveAuthSecret(config)).toThrow(ConfigError);
    expect(() => resolveAuthSecret(config)).toThrow(/TALLY_AUTH_SECRET/);
  });

  it('rejects a short secret and a lone admin email at load', () => {
    expect(() => loadConfig({ TALLY_AUTH_SECRET: 'short' })).toThrow(/TALLY_AUTH_SECRET/);
    expect(() => loadConfig({ TALLY_ADMIN_EMAIL: 'admin@example.com' })).toThrow(/TALLY_ADMIN_PASSWORD/);
  });
});
