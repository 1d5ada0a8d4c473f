import type { RecordedEvent } from '@tally/event-store';
import { partitionByDataField, type Projection } from '../projection';
import { partitionBatch } from './read-model-copy';

const event = (n: number, data: unknown): RecordedEvent =>
  ({ eventId: `e${n}`, streamId: 's', version: n, type: 'T', data, position: String(n) }) as RecordedEvent;

const byCart: Projection = {
  name: 'test',
  eventTypes: ['T'],
  apply: () => Promise.resolve(),
  partitionKey: partitionByDataField('cartId'),
};

describe('partitionBatch', () => {
  const batch = Array.from({ length: 60 }, (_, n) => event(n, { cartId: `cart-${n % 7}` }));

  it('puts every event of a key in the same part, in log order, and loses none', () => {
    const parts = partitionBatch(byCart, batch, 2);
    expect(parts).toHaveLength(2);
    expect(
      parts
        .flat()
        .map((e) => e.eventId)
        .sort(),
    ).toEqual(batch.map((e) => e.eventId).sort());
    for (const part of parts) {
      const versions = part.map((e) => e.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
    }
    const partOf = new Map<string, number>();
    parts.forEach((part, index) => {
      for (const e of part) {
        const key = (e.data as { cartId: string }).cartId;
        expect(partOf.get(key) ?? index).toBe(index);
        partOf.set(key, index);
      }
    });
  });

  it('keeps the batch whole without a key, with one part asked for, or when an event lacks its key', () => {
    const { partitionKey: _, ...keyless } = byCart;
    expect(partitionBatch(keyless, batch, 2)).toEqual([batch]);
    expect(partitionBatch(byCart, batch, 1)).toEqual([batch]);
    const withStray = [...batch, event(60, { cartId: 42 })];
    expect(partitionBatch(byCart, withStray, 2)).toEqual([withStray]);
  });
});
