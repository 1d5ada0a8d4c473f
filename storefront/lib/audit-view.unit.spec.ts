import { aggregateLabel, hashPrefix, integrityBreaks, prettyJson } from './audit-view';

describe('integrityBreaks', () => {
  it('flattens the streams and checkpoints of an `audit verify` report', () => {
    expect(
      integrityBreaks({
        streams: [{ streamId: 'order-1', version: 3, kind: 'altered', message: 'hash differs' }],
        checkpoints: [{ sequence: 2, kind: 'root', message: 'root differs' }],
      }),
    ).toEqual([
      { streamId: 'order-1', version: 3, kind: 'altered', message: 'hash differs' },
      { sequence: 2, kind: 'root', message: 'root differs' },
    ]);
  });

  it('keeps a list as it is and an empty one empty', () => {
    expect(integrityBreaks([{ streamId: 'cart-1', version: 1, kind: 'missing', message: 'gone' }])).toEqual([
      { streamId: 'cart-1', version: 1, kind: 'missing', message: 'gone' },
    ]);
    expect(integrityBreaks([])).toEqual([]);
    expect(integrityBreaks({ streams: [], checkpoints: [] })).toEqual([]);
    expect(integrityBreaks(null)).toEqual([]);
  });

  it('still counts a break it cannot read, so a broken log never shows as verified', () => {
    expect(integrityBreaks(['something odd'])).toEqual([{ kind: 'unknown', message: '"something odd"' }]);
  });
});

describe('labels', () => {
  it('labels a stream by its aggregate', () => {
    expect(aggregateLabel('payment-1')).toBe('Payment');
    expect(aggregateLabel('stock-KIT-002')).toBe('Stock');
  });

  it('shortens hashes and prints JSON indented', () => {
    expect(hashPrefix('ab'.repeat(32))).toBe('abababababab');
    expect(hashPrefix(null)).toBe('—');
    expect(prettyJson({ status: 'pending' })).toBe('{\n  "status": "pending"\n}');
  });
});
