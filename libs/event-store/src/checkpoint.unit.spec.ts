import { compareCheckpoints, decodePair, encodePair } from './checkpoint';
import { START } from './event-store.port';

describe('checkpoints', () => {
  it('orders as strings exactly as the numeric pairs they encode', () => {
    const pairs: [bigint, bigint][] = [
      [0n, 1n],
      [9n, 100n],
      [10n, 2n],
      [10n, 11n],
      [2n ** 63n, 1n],
      [2n ** 64n - 1n, 2n ** 63n - 1n],
    ];
    const encoded = pairs.map(([a, b]) => encodePair(a, b));
    expect([...encoded].sort()).toEqual(encoded);
    expect(encoded.every((checkpoint) => checkpoint > START)).toBe(true);
    expect(compareCheckpoints(encoded[1]!, encoded[2]!)).toBe(-1);
    expect(encoded.map(decodePair)).toEqual(pairs);
  });

  it('decodes START as the pair before every event and rejects foreign strings', () => {
    expect(decodePair(START)).toEqual([0n, 0n]);
    expect(() => decodePair('42')).toThrow(RangeError);
    expect(() => encodePair(-1n, 0n)).toThrow(RangeError);
    expect(() => encodePair(2n ** 64n * 10n, 0n)).toThrow(RangeError);
  });
});
