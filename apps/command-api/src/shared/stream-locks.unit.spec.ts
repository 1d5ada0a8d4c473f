import { StreamLocks } from './stream-locks';

describe('StreamLocks', () => {
  it('runs work under one key one at a time, in arrival order', async () => {
    const locks = new StreamLocks();
    const log: string[] = [];
    let running = 0;
    const job = (name: string, ticks: number) =>
      locks.run('cart-1', async () => {
        running += 1;
        expect(running).toBe(1);
        log.push(`${name} start`);
        for (let i = 0; i < ticks; i += 1) await Promise.resolve();
        log.push(`${name} end`);
        running -= 1;
        return name;
      });
    await expect(Promise.all([job('a', 5), job('b', 1), job('c', 3)])).resolves.toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
    expect(locks.size).toBe(0);
  });

  it('lets work under different keys interleave', async () => {
    const locks = new StreamLocks();
    const log: string[] = [];
    let releaseA = (): void => undefined;
    const a = locks.run('a', () =>
      new Promise<void>((resolve) => (releaseA = resolve)).then(() => log.push('a')),
    );
    await locks.run('b', () => Promise.resolve(log.push('b')));
    releaseA();
    await a;
    expect(log).toEqual(['b', 'a']);
  });

  it('goes on with the next in line when work fails', async () => {
    const locks = new StreamLocks();
    const failing = locks.run('k', () => Promise.reject(new Error('boom')));
    const next = locks.run('k', () => Promise.resolve('next'));
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
    expect(locks.size).toBe(0);
  });
});
