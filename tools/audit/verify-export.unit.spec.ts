import type { JsonValue } from '@tally/event-store';
// The reference implementation and PostgreSQL's corpus live inside the event store; the corpus is a test
// fixture, not part of its public entry point.
/* eslint-disable no-restricted-imports */
import { canonicalJson as referenceCanonicalJson } from '../../libs/event-store/src/event-hash';
import { CANONICAL_JSON_CASES } from '../../libs/event-store/src/testing/canonical-json.corpus';
/* eslint-enable no-restricted-imports */
import { canonicalJson, canonicalNumber, parseCsvRecord, parseJson } from './verify-export.mjs';

// The offline verifier reimplements canonical JSON without Tally's code; these tests hold it to the
// reference (`canonicalJson` of @tally/event-store) and to what PostgreSQL prints (the corpus).

const extraCases: [string, JsonValue][] = [
  ['keys of equal length, bytewise', { b: 1, a: 2, B: 3, é: 4, z: 5 }],
  ['longer keys after shorter ones', { aaa: 1, b: 2, cc: 3 }],
  [
    'nested',
    { metadata: { actor: { id: 'u-1', role: 'auditor' }, causationId: 'c', list: [1, [2, []], {}] } },
  ],
  ['strings with every escape', '"\\/\b\f\n\r\t\u0001\u001f\u007f é 😀'],
  ['numbers', [0, -0, 1, -1, 0.5, 1e-7, 1.5e-7, 1e21, 1.25e25, 123456.789, -9007199254740991, 5e-324]],
];

describe('the offline verifier', () => {
  describe('canonical JSON of parsed text', () => {
    it.each(CANONICAL_JSON_CASES.map((c) => [c.name, c] as const))('agrees on %s', (_name, c) => {
      const text = JSON.stringify(c.value);
      expect(canonicalJson(parseJson(text))).toBe(referenceCanonicalJson(c.value));
      expect(canonicalJson(parseJson(text))).toBe(c.canonical);
    });

    it.each(extraCases)('agrees on %s', (_name, value) => {
      expect(canonicalJson(parseJson(JSON.stringify(value)))).toBe(referenceCanonicalJson(value));
      expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
    });

    it('is a fixed point on canonical text (an export carries jsonb text as the database printed it)', () => {
      for (const c of CANONICAL_JSON_CASES) {
        expect(canonicalJson(parseJson(c.canonical))).toBe(c.canonical);
      }
    });

    it('keeps numbers exact where JavaScript would round them, as jsonb does', () => {
      expect(canonicalJson(parseJson('{"n": 12345678901234567890, "m": 1.50}'))).toBe(
        '{"m": 1.50, "n": 12345678901234567890}',
      );
    });

    it('lets the last of duplicate keys win', () => {
      expect(canonicalJson(parseJson('{"a": 1, "b": 2, "a": 3}'))).toBe('{"a": 3, "b": 2}');
    });

    it.each([
      ['1e2', '100'],
      ['1.0e-2', '0.010'],
      ['100e-2', '1.00'],
      ['-0.0', '0.0'],
      ['-1.25E1', '-12.5'],
    ])('prints the number %s as numeric does: %s', (literal, printed) => {
      expect(canonicalNumber(literal)).toBe(printed);
    });

    it.each(['{"a":1,}', '[1 2]', '01', '"\\x"', '{"a":1} x', 'NaN', '"a\nb"'])('rejects %s', (text) => {
      expect(() => parseJson(text)).toThrow(SyntaxError);
    });
  });

  describe('CSV records', () => {
    it('reads quoted fields with doubled quotes and commas', () => {
      expect(parseCsvRecord('event,"{""a"": ""x,y""}",,3')).toEqual(['event', '{"a": "x,y"}', '', '3']);
    });

    it('asks for the next line while a quote is open', () => {
      expect(parseCsvRecord('a,"b')).toBeUndefined();
      expect(parseCsvRecord('a,"b\nc"')).toEqual(['a', 'b\nc']);
    });

    it('refuses a quote inside an unquoted field', () => {
      expect(parseCsvRecord('a,b"c')).toBeInstanceOf(Error);
    });
  });
});
