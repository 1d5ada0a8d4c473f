import { isUuid, uuidv7 } from './event-id';

describe('uuidv7', () => {
  it('produces RFC 9562 version 7 ids', () => {
    const id = uuidv7();
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
  });

  it('encodes the millisecond timestamp in the first 48 bits', () => {
    // Regression: an instant in the past of the previous test's id failed once the clock passed it
    // (ids never go backwards); a far-future instant is always ahead.
    const at = Date.UTC(2100, 10, 21, 12, 0, 0, 123);
    const id = uuidv7(at);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('keeps ids strictly increasing within one millisecond', () => {
    const at = Date.UTC(2101, 0, 1);
    const ids = Array.from({ length: 5000 }, () => uuidv7(at));
    const sorted = [...ids].sort();
    expect(ids).toEqual(sorted);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
