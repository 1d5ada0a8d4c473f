import { isUuid } from '@tally/event-store';
import { deterministicCommandId, deterministicEventId } from './deterministic-id';

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('deterministic ids', () => {
  it('are RFC 9562 version 8 UUIDs with the RFC variant', () => {
    const id = deterministicCommandId('checkout-0190a3c4', 'reserve/KIT-001');
    expect(id).toMatch(UUID_V8);
    expect(isUuid(id)).toBe(true);
    expect(deterministicEventId('checkout-0190a3c4', 'timeout')).toMatch(UUID_V8);
  });

  it('give the same id for the same scope and key', () => {
    expect(deterministicCommandId('checkout-1', 'authorize')).toBe(
      deterministicCommandId('checkout-1', 'authorize'),
    );
  });

  it('pin the hash: SHA-256 over tally:<kind>:<scope>/<key>', () => {
    // A changed derivation would re-send every pending process-manager action under a new id.
    expect(deterministicCommandId('checkout-1', 'authorize')).toBe('8aafff67-1fa1-8c15-b0be-78b435eadfa4');
  });

  it('differ by scope, by key, and between commands and events', () => {
    const ids = new Set([
      deterministicCommandId('checkout-1', 'authorize'),
      deterministicCommandId('checkout-2', 'authorize'),
      deterministicCommandId('checkout-1', 'capture'),
      deterministicEventId('checkout-1', 'authorize'),
    ]);
    expect(ids.size).toBe(4);
  });

  it('refuse an empty scope or key, and a scope that makes scope/key ambiguous', () => {
    expect(() => deterministicCommandId('', 'k')).toThrow(RangeError);
    expect(() => deterministicCommandId('s', '')).toThrow(RangeError);
    expect(() => deterministicEventId('a/b', 'c')).toThrow(RangeError);
  });
});
