import { diffStates } from './state-diff';

describe('diffStates', () => {
  it('finds nothing between equal states', () => {
    expect(diffStates({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] })).toEqual([]);
  });

  it('names each changed field with a JSON Pointer', () => {
    const before = { status: 'open', lines: [{ sku: 'MUG', quantity: 1 }], currency: 'EUR' };
    const after = {
      status: 'checked_out',
      lines: [{ sku: 'MUG', quantity: 3 }],
      currency: 'EUR',
      orderId: 'o-1',
    };
    expect(diffStates(before, after)).toEqual([
      { path: '/lines/0/quantity', op: 'replace', from: 1, to: 3 },
      { path: '/orderId', op: 'add', to: 'o-1' },
      { path: '/status', op: 'replace', from: 'open', to: 'checked_out' },
    ]);
  });

  it('adds and removes array elements at the end, removals highest index first', () => {
    expect(diffStates({ l: [1] }, { l: [1, 2, 3] })).toEqual([
      { path: '/l/1', op: 'add', to: 2 },
      { path: '/l/2', op: 'add', to: 3 },
    ]);
    expect(diffStates({ l: [1, 2, 3] }, { l: [1] })).toEqual([
      { path: '/l/2', op: 'remove', from: 3 },
      { path: '/l/1', op: 'remove', from: 2 },
    ]);
  });

  it('replaces a value whose type changed as a whole, and escapes ~ and / in keys', () => {
    expect(diffStates({ 'a/b': { 'c~d': null } }, { 'a/b': { 'c~d': [1] } })).toEqual([
      { path: '/a~1b/c~0d', op: 'replace', from: null, to: [1] },
    ]);
    expect(diffStates({ status: 'none' }, { status: 'open', lines: [] })).toEqual([
      { path: '/lines', op: 'add', to: [] },
      { path: '/status', op: 'replace', from: 'none', to: 'open' },
    ]);
    expect(diffStates({ a: 1 }, [1])).toEqual([{ path: '', op: 'replace', from: { a: 1 }, to: [1] }]);
  });

  it('removes a member that is gone', () => {
    expect(diffStates({ a: 1, b: 2 }, { a: 1 })).toEqual([{ path: '/b', op: 'remove', from: 2 }]);
  });
});
