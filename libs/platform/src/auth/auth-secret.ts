import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type AppConfig, ConfigError } from '../config/config';

/**
 * The secret every app signs and verifies tokens with. `TALLY_AUTH_SECRET` when set; in embedded mode
 * without it, one generated at first start and kept under TALLY_DATA_DIR (so sessions survive a restart);
 * in full mode it is required, because separate processes must share it.
 */
export function resolveAuthSecret(config: AppConfig): string {
  if (config.TALLY_AUTH_SECRET) return config.TALLY_AUTH_SECRET;
  if (config.mode === 'full') {
    throw new ConfigError([
      'TALLY_AUTH_SECRET: is required when DATABASE_URL is set (every app must verify the same tokens)',
    ]);
  }
  const dir = resolve(config.TALLY_DATA_DIR);
  const file = join(dir, 'auth-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    // Another process of the same data dir wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(file, 'utf8').trim();
  }
}
