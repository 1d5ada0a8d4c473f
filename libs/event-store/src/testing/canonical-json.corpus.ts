import type { JsonValue } from '../event-store.port';

/** One value and the text PostgreSQL prints for it as `jsonb` (what `canonicalJson` must write). */
export interface CanonicalJsonCase {
  readonly name: string;
  readonly value: JsonValue;
  readonly canonical: string;
}

/**
 * Values whose canonical JSON is easy to get wrong. The unit spec checks `canonicalJson` against `canonical`;
 * the integration spec checks that PostgreSQL and PGlite print exactly `canonical` for `JSON.stringify(value)`,
 * so the expectations here are PostgreSQL's behaviour, not this codebase's.
 */
export const CANONICAL_JSON_CASES: readonly CanonicalJsonCase[] = [
  { name: 'null', value: null, canonical: 'null' },
  { name: 'true', value: true, canonical: 'true' },
  { name: 'false', value: false, canonical: 'false' },
  { name: 'a small exponent', value: 1e-7, canonical: '0.0000001' },
  { name: 'a small exponent with a fraction', value: 1.5e-7, canonical: '0.00000015' },
  { name: 'a negative small exponent', value: -1.5e-10, canonical: '-0.00000000015' },
  { name: 'the smallest plain small number', value: 1e-6, canonical: '0.000001' },
  { name: 'the first large exponent', value: 1e21, canonical: '1000000000000000000000' },
  { name: 'a large exponent with a fraction', value: 1.5e22, canonical: '15000000000000000000000' },
  { name: 'two to the 64th', value: 2 ** 64, canonical: '18446744073709552000' },
  { name: 'negative zero', value: -0, canonical: '0' },
  { name: 'zero', value: 0, canonical: '0' },
  { name: 'a decimal', value: 123.45, canonical: '123.45' },
  { name: 'a binary fraction artefact', value: 0.1 + 0.2, canonical: '0.30000000000000004' },
  { name: 'the largest safe integer', value: Number.MAX_SAFE_INTEGER, canonical: '9007199254740991' },
  { name: 'a negative large integer', value: -Number.MAX_SAFE_INTEGER, canonical: '-9007199254740991' },
  { name: 'the smallest subnormal', value: 5e-324, canonical: `0.${'0'.repeat(323)}5` },
  { name: 'the largest double', value: Number.MAX_VALUE, canonical: `17976931348623157${'0'.repeat(292)}` },
  { name: 'an empty string', value: '', canonical: '""' },
  { name: 'quotes and backslashes', value: 'a "b" \\ c \\"', canonical: '"a \\"b\\" \\\\ c \\\\\\""' },
  { name: 'named escapes', value: '\b\f\n\r\t', canonical: '"\\b\\f\\n\\r\\t"' },
  {
    name: 'other control characters',
    value: '\u0001\u0007\u000b\u000e\u001b\u001f',
    canonical: '"\\u0001\\u0007\\u000b\\u000e\\u001b\\u001f"',
  },
  { name: 'DEL and the slash, unescaped', value: '\u007f / </script>', canonical: '"\u007f / </script>"' },
  {
    name: 'non-ASCII text, unescaped',
    value: 'café ☕ 😀 Ω \u2028 \u00a0',
    canonical: '"café ☕ 😀 Ω \u2028 \u00a0"',
  },
  {
    name: 'keys ordered by byte length, then bytes',
    value: { b: 1, a: 2, aa: 3, é: 4, z: 5, A: 6, ab: 7 },
    canonical: '{"A": 6, "a": 2, "b": 1, "z": 5, "aa": 3, "ab": 7, "é": 4}',
  },
  {
    name: 'non-ASCII keys ordered by UTF-8 bytes, not UTF-16 units',
    // '😀a' and '\ue000\u0080' are both 5 UTF-8 bytes; in UTF-16 units 😀 (a surrogate) sorts first, in bytes last.
    value: { '😀a': 1, '\ue000\u0080': 2, '😀': 3, '\uff61': 4, '\ue000': 5, abcd: 6, ab: 7 },
    canonical: '{"ab": 7, "\ue000": 5, "\uff61": 4, "abcd": 6, "😀": 3, "\ue000\u0080": 2, "😀a": 1}',
  },
  {
    name: 'integer-like keys ordered as text, not as numbers',
    value: { '10': 1, '9': 2, '1': 3, '011': 4 },
    canonical: '{"1": 3, "9": 2, "10": 1, "011": 4}',
  },
  { name: 'escaped keys', value: { 'a"b': 1, 'c\nd': 2 }, canonical: '{"a\\"b": 1, "c\\nd": 2}' },
  { name: 'an empty object', value: {}, canonical: '{}' },
  { name: 'an empty array', value: [], canonical: '[]' },
  { name: 'empty containers nested', value: [[], {}, [[]], [{}]], canonical: '[[], {}, [[]], [{}]]' },
  {
    name: 'nested objects and arrays',
    value: { outer: { list: [1, { y: [], x: {} }, 'two', null, true], '': null }, n: -2.5 },
    canonical: '{"n": -2.5, "outer": {"": null, "list": [1, {"x": {}, "y": []}, "two", null, true]}}',
  },
  {
    name: 'event metadata',
    value: {
      commandId: '0190b5e2-0000-7000-8000-000000000001',
      correlationId: '0190b5e2-0000-7000-8000-000000000002',
      causationId: '0190b5e2-0000-7000-8000-000000000003',
      actor: { id: 'customer-1', role: 'customer' },
      occurredAt: '2026-11-21T10:15:00.123Z',
      schemaVersion: 1,
    },
    canonical:
      '{"actor": {"id": "customer-1", "role": "customer"}, "commandId": "0190b5e2-0000-7000-8000-000000000001", ' +
      '"occurredAt": "2026-11-21T10:15:00.123Z", "causationId": "0190b5e2-0000-7000-8000-000000000003", ' +
      '"correlationId": "0190b5e2-0000-7000-8000-000000000002", "schemaVersion": 1}',
  },
];
