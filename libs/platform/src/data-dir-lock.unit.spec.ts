import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config/config';
import { lockDataDir } from './data-dir-lock';

describe('lockDataDir', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tally-lock-'))));
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes this process id and removes the lock on release', () => {
    const lock = lockDataDir(dir, 'tally-embedded');
    expect(readFileSync(join(dir, 'tally.lock'), 'utf8')).toBe(`${process.pid}\ntally-embedded\n`);
    lock.release();
    expect(existsSync(join(dir, 'tally.lock'))).toBe(false);
  });

  it('refuses a directory another live process holds, naming the setting and the holder', () => {
    writeFileSync(join(dir, 'tally.lock'), `${process.ppid}\ntally-embedded\n`);
    expect(() => lockDataDir(dir, 'tally-cli')).toThrow(ConfigError);
    expect(() => lockDataDir(dir, 'tally-cli')).toThrow(
      /TALLY_DATA_DIR: .* in use by tally-embedded \(pid \d+\)/,
    );
  });

  it('takes over a lock left by a process that has exited', () => {
    const exited = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(dir, 'tally.lock'), `${exited}\ntally-embedded\n`);
    const lock = lockDataDir(dir, 'tally-cli');
    expect(readFileSync(join(dir, 'tally.lock'), 'utf8')).toBe(`${process.pid}\ntally-cli\n`);
    lock.release();
  });
});
