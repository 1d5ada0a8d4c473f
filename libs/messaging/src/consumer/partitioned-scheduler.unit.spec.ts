import { PartitionedScheduler } from './partitioned-scheduler';

/** A task that finishes when the test says so, recording when it started. */
function gate() {
  let open: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (open = resolve));
  return { open, done };
}

describe('PartitionedScheduler', () => {
  it('runs tasks of one partition one at a time, in submission order', async () => {
    const scheduler = new PartitionedScheduler(4);
    const log: string[] = [];
    const gates = [gate(), gate(), gate()];
    const results = gates.map((g, i) =>
      scheduler.submit('p', async () => {
        log.push(`start ${i}`);
        await g.done;
        log.push(`end ${i}`);
      }),
    );
    await Promise.resolve();
    expect(log).toEqual(['start 0']);
    gates[2]?.open();
    gates[1]?.open();
    gates[0]?.open();
    await Promise.all(results);
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('runs different partitions concurrently, up to maxInFlight', async () => {
    const scheduler = new PartitionedScheduler(2);
    const started: string[] = [];
    const gates = new Map(['a', 'b', 'c'].map((p) => [p, gate()]));
    const results = [...gates].map(([p, g]) =>
      scheduler.submit(p, async () => {
        started.push(p);
        await g.done;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a', 'b']);
    expect(scheduler.size).toBe(3);
    gates.get('a')?.open();
    await results[0];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a', 'b', 'c']);
    gates.get('b')?.open();
    gates.get('c')?.open();
    await scheduler.idle();
    expect(scheduler.size).toBe(0);
  });

  it('passes a task failure to its submitter and carries on with the partition', async () => {
    const scheduler = new PartitionedScheduler(1);
    const failing = scheduler.submit('p', () => Promise.reject(new Error('boom')));
    const next = scheduler.submit('p', () => Promise.resolve());
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBeUndefined();
  });

  it('tells a producer when there is room again', async () => {
    const scheduler = new PartitionedScheduler(1);
    const g = gate();
    void scheduler.submit('p', () => g.done);
    void scheduler.submit('q', () => Promise.resolve());
    let roomy = false;
    const room = scheduler.whenRoom(2).then(() => (roomy = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(roomy).toBe(false);
    g.open();
    await room;
    expect(roomy).toBe(true);
  });
});
