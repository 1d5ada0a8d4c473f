import { validateAppend } from './append-validation';
import { InvalidAppendError } from './errors';
import type { NewEvent } from './event-store.port';

function event(type: string, eventId = '0190b5e2-0000-7000-8000-000000000001'): NewEvent {
  const metadata = {
    commandId: eventId,
    correlationId: eventId,
    causationId: eventId,
    actor: { id: 'customer-1', role: 'customer' },
    occurredAt: '2026-11-21T10:15:00.123Z',
    schemaVersion: 1,
  };
  return { eventId, type, data: {}, metadata };
}

// The hash chain's input puts one field per line, so a line feed in a stream id or type could make two
// different events hash alike.
const CONTROL_CHARACTERS = ['\u0000', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f'];

describe('validateAppend', () => {
  it('accepts printable stream ids and types, including non-ASCII and spaces, and lower-cases ids', () => {
    expect(
      validateAppend(
        'cart-é 1',
        [event('ArtikelHinzugefügt', '0190B5E2-0000-7000-8000-00000000000A')],
        'any',
      ),
    ).toEqual({ ids: ['0190b5e2-0000-7000-8000-00000000000a'] });
  });

  it.each(CONTROL_CHARACTERS.map((c) => [JSON.stringify(c), c]))(
    'rejects a stream id holding %s',
    (_shown, control) => {
      expect(() => validateAppend(`cart-1${control}2`, [event('ItemAdded')], 'any')).toThrow(
        InvalidAppendError,
      );
    },
  );

  it.each(CONTROL_CHARACTERS.map((c) => [JSON.stringify(c), c]))(
    'rejects an event type holding %s',
    (_shown, control) => {
      const batch = [
        event('ItemAdded'),
        event(`Item${control}Added`, '0190b5e2-0000-7000-8000-000000000002'),
      ];
      expect(() => validateAppend('cart-1', batch, 'any')).toThrow(/event type .* holds a control character/);
    },
  );

  it('still rejects an empty stream id, an empty batch and a bad expected version', () => {
    expect(() => validateAppend('', [event('ItemAdded')], 'any')).toThrow(InvalidAppendError);
    expect(() => validateAppend('cart-1', [], 'any')).toThrow(InvalidAppendError);
    expect(() => validateAppend('cart-1', [event('ItemAdded')], -1)).toThrow(InvalidAppendError);
  });
});
