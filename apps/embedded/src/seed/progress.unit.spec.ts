import { ProgressBar } from './progress';

const recorder = (isTTY: boolean) => {
  const chunks: string[] = [];
  return { isTTY, chunks, write: (chunk: string) => chunks.push(chunk) };
};

describe('ProgressBar', () => {
  it('prints a line every 10% when the output is not a terminal', () => {
    const output = recorder(false);
    const bar = new ProgressBar(output, 'Seeding', 240);
    for (let i = 0; i < 240; i++) bar.tick();
    bar.finish();
    expect(output.chunks).toHaveLength(10);
    expect(output.chunks[0]).toBe('Seeding: 10% (24/240)\n');
    expect(output.chunks[9]).toBe('Seeding: 100% (240/240)\n');
  });

  it('redraws one line on a terminal and ends it when finished', () => {
    const output = recorder(true);
    const bar = new ProgressBar(output, 'Seeding', 4, 8);
    bar.tick();
    bar.tick(3);
    bar.finish();
    expect(output.chunks).toEqual([
      '\rSeeding [--------]   0% 0/4',
      '\rSeeding [##------]  25% 1/4',
      '\rSeeding [########] 100% 4/4',
      '\n',
    ]);
  });
});
