import {
  canonicalJson,
  computeEventHash,
  eventHashInput,
  GENESIS_HASH,
  type HashedEventFields,
} from './event-hash';
import type { JsonValue } from './event-store.port';
import { CANONICAL_JSON_CASES } from './testing/canonical-json.corpus';

const EVENT: HashedEventFields = {
  streamId: 'order-0190b5e2-0000-7000-8000-00000000000a',
  version: 3,
  type: 'OrderPlaced',
  data: { total: 1250, sku: 'SKU-1' },
  metadata: { actor: { role: 'customer', id: 'customer-1' } },
  recordedAt: '2026-11-21T10:15:00.123Z',
};

describe('canonicalJson', () => {
  it.each(CANONICAL_JSON_CASES.map((c) => [c.name, c] as const))(
    'writes %s as jsonb prints it',
    (_name, c) => {
      expect(canonicalJson(c.value)).toBe(c.canonical);
    },
  );

  // PostgreSQL rejects U+0000 in jsonb text, so no stored event holds one; the escape is still defined.
  it('escapes U+0000 like every other control character', () => {
    expect(canonicalJson('a\u0000b')).toBe('"a\\u0000b"');
  });

  it('leaves out undefined members, as JSON.stringify does before the store sees them', () => {
    expect(canonicalJson({ b: 1, a: undefined } as unknown as JsonValue)).toBe('{"b": 1}');
  });

  it('refuses numbers JSON cannot hold', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => canonicalJson(value)).toThrow(RangeError);
    }
  });

  it('does not depend on the order in which keys were written', () => {
    expect(canonicalJson({ b: { d: 1, c: [2] }, a: null })).toBe(
      canonicalJson({ a: null, b: { c: [2], d: 1 } }),
    );
  });
});

describe('computeEventHash', () => {
  it('hashes the previous hash and the fields, one per line, with canonical JSON', () => {
    expect(eventHashInput(GENESIS_HASH, EVENT)).toBe(
      [
        '0'.repeat(64),
        'order-0190b5e2-0000-7000-8000-00000000000a',
        '3',
        'OrderPlaced',
        '{"sku": "SKU-1", "total": 1250}',
        '{"actor": {"id": "customer-1", "role": "customer"}}',
        '2026-11-21T10:15:00.123Z',
      ].join('\n'),
    );
  });

  // Known answer, computed independently with `sha256sum` and PostgreSQL's sha256() over the same text.
  it('is the SHA-256 of that text as lowercase hex', () => {
    expect(computeEventHash(GENESIS_HASH, EVENT)).toBe(
      '8f96e42b66a91dcaebc7ea76d857cff495b05679fd90364c3f76ceca83008a99',
    );
  });

  it('changes with the previous hash and with every field it covers', () => {
    const base = computeEventHash(GENESIS_HASH, EVENT);
    const variants = [
      computeEventHash(base, EVENT),
      computeEventHash(GENESIS_HASH, { ...EVENT, streamId: `${EVENT.streamId}b` }),
      computeEventHash(GENESIS_HASH, { ...EVENT, version: 4 }),
      computeEventHash(GENESIS_HASH, { ...EVENT, type: 'OrderPaid' }),
      computeEventHash(GENESIS_HASH, { ...EVENT, data: { total: 1251, sku: 'SKU-1' } }),
      computeEventHash(GENESIS_HASH, { ...EVENT, metadata: { actor: { role: 'admin', id: 'customer-1' } } }),
      computeEventHash(GENESIS_HASH, { ...EVENT, recordedAt: '2026-11-21T10:15:00.124Z' }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
    for (const hash of variants) expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
