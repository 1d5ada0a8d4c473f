import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config/config';

/** A held lock on an embedded data directory; `release` removes it (once). */
export interface DataDirLock {
  release(): void;
}

/**
 * Embedded PGlite is one process's database: a second process opening the same directory (a second
 * `npm start`, or `npm run tally` while Tally runs) would corrupt it. The first process writes its pid to
 * `tally.lock`; another finding a live pid there stops with a message, and a lock left by a process that
 * died is taken over.
 */
export function lockDataDir(dataDir: string, purpose: string): DataDirLock {
  const file = join(dataDir, 'tally.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n${purpose}\n`, { flag: 'wx', mode: 0o600 });
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const [pidText = '', holder = 'another process'] = readFileSync(file, 'utf8').split('\n');
    const pid = Number(pidText);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new ConfigError([
        `TALLY_DATA_DIR: ${dataDir} is in use by ${holder} (pid ${pid}); stop it first, or use its admin endpoints`,
      ]);
    }
    // A stale lock (its process is gone) or our own: take it over.
    rmSync(file, { force: true });
  }
  throw new ConfigError([`TALLY_DATA_DIR: could not lock ${dataDir}`]);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
