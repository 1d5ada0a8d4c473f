import { Writable } from 'node:stream';
import { formatDuration, ProgressBar } from './progress';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('ProgressBar', () => {
  it('shows done/total, the rate and the ETA', () => {
    let now = 0;
    const out = sink();
    const bar = new ProgressBar({
      label: 'catalog',
      total: 1000,
      stream: out.stream,
      interactive: false,
      now: () => now,
    });
    now = 2000;
    bar.update(250);
    expect(bar.line()).toBe(
      'catalog  [######------------------] 25.0%  250/1,000 events  125 events/s  ETA 6s',
    );
    expect(out.text()).toContain('25.0%');
  });

  it('shows the elapsed time once done, and no ETA when the total is unknown', () => {
    let now = 0;
    const out = sink();
    const bar = new ProgressBar({
      label: 'verify',
      total: undefined,
      stream: out.stream,
      interactive: true,
      now: () => now,
    });
    now = 4000;
    bar.update(100_000);
    bar.finish();
    expect(bar.line()).toBe('verify  100,000 events  25,000 events/s  elapsed 4s');
    expect(out.text().endsWith('\n')).toBe(true);
  });

  it('prints plain lines at most every lineIntervalMs when not on a terminal', () => {
    let now = 0;
    const out = sink();
    const bar = new ProgressBar({
      label: 'x',
      total: 10,
      stream: out.stream,
      interactive: false,
      lineIntervalMs: 1000,
      now: () => now,
    });
    for (let i = 1; i <= 10; i++) {
      now += 300;
      bar.update(i);
    }
    expect(out.text().split('\n').filter(Boolean)).toHaveLength(3);
  });
});

describe('formatDuration', () => {
  it('writes seconds, minutes and hours', () => {
    expect([formatDuration(59.4), formatDuration(61), formatDuration(3725)]).toEqual([
      '59s',
      '1m01s',
      '1h02m',
    ]);
  });
});
