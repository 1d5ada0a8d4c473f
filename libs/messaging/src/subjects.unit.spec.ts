import {
  aggregateOf,
  allEventsSubject,
  commandSubject,
  commandSubjectPattern,
  eventSubject,
  eventTypeSubject,
  subjectMatches,
} from './subjects';

describe('subjects', () => {
  describe('aggregateOf', () => {
    it.each([
      ['order-0190a3c4-7e5b-7c1d-9a2b-3c4d5e6f7a8b', 'order'],
      ['stock-KIT-001', 'stock'],
      ['checkout-0190a3c4-7e5b-7c1d-9a2b-3c4d5e6f7a8b', 'checkout'],
      ['product-LAMP-01', 'product'],
      ['orders', 'orders'],
    ])('reads the aggregate of %s as %s', (streamId, aggregate) => {
      expect(aggregateOf(streamId)).toBe(aggregate);
    });

    it('rejects a stream id whose aggregate is not a subject token', () => {
      expect(() => aggregateOf('a.b-1')).toThrow(RangeError);
      expect(() => aggregateOf('-1')).toThrow(RangeError);
    });
  });

  it('publishes an event on <prefix>.events.<aggregate>.<EventType>', () => {
    expect(eventSubject({ streamId: 'order-42', type: 'OrderPlaced' })).toBe(
      'tally.events.order.OrderPlaced',
    );
    expect(eventSubject({ streamId: 'stock-SKU-1', type: 'StockReserved' }, 'tab12')).toBe(
      'tab12.events.stock.StockReserved',
    );
  });

  it('rejects an event type that would change the subject', () => {
    expect(() => eventSubject({ streamId: 'order-1', type: 'Order.Placed' })).toThrow(RangeError);
    expect(() => eventSubject({ streamId: 'order-1', type: '>' })).toThrow(RangeError);
  });

  it('names the stream, consumer and command subjects', () => {
    expect(allEventsSubject()).toBe('tally.events.>');
    expect(eventTypeSubject('StockReserved', 'tx')).toBe('tx.events.*.StockReserved');
    expect(commandSubject('ReserveStock')).toBe('tally.commands.ReserveStock');
    expect(commandSubjectPattern('tx')).toBe('tx.commands.*');
  });

  it('rejects a prefix that is not a subject', () => {
    expect(() => allEventsSubject('')).toThrow(RangeError);
    expect(() => allEventsSubject('a..b')).toThrow(RangeError);
    expect(() => commandSubject('PlaceOrder', 'x.*')).toThrow(RangeError);
  });

  describe('subjectMatches', () => {
    it.each([
      ['tally.events.*.OrderPlaced', 'tally.events.order.OrderPlaced', true],
      ['tally.events.*.OrderPlaced', 'tally.events.order.OrderCancelled', false],
      ['tally.events.>', 'tally.events.order.OrderPlaced', true],
      ['tally.events.>', 'tally.events', false],
      ['tally.events.*', 'tally.events.order.OrderPlaced', false],
      ['tally.commands.*', 'tally.commands.PlaceOrder', true],
    ])('%s matches %s: %s', (filter, subject, expected) => {
      expect(subjectMatches(filter, subject)).toBe(expected);
    });
  });
});
