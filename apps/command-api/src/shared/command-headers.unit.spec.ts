import { ValidationProblem } from '@tally/platform';
import { etag, parseCommandHeaders } from './command-headers';

function rejected(headers: Record<string, string>): string[] {
  try {
    parseCommandHeaders(headers);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationProblem);
    return (error as ValidationProblem).errors?.map((e) => e.field) ?? [];
  }
  throw new Error('expected a ValidationProblem');
}

describe('parseCommandHeaders', () => {
  it('reads nothing from a request without command headers', () => {
    expect(parseCommandHeaders({})).toEqual({
      expectedVersion: undefined,
      idempotencyKey: undefined,
      consistencyToken: undefined,
    });
  });

  describe('If-Match', () => {
    it.each([
      ['"0"', 0],
      ['"7"', 7],
      [' "42" ', 42],
      ['"2147483647"', 2147483647],
    ])('reads the strong entity tag %s as version %d', (value, version) => {
      expect(parseCommandHeaders({ 'if-match': value }).expectedVersion).toBe(version);
    });

    it.each(['W/"3"', '3', '"-1"', '"01"', '"1.5"', '"abc"', '*', '"1", "2"', '"2147483648"', '""'])(
      'rejects %s naming header.If-Match',
      (value) => {
        expect(rejected({ 'if-match': value })).toEqual(['header.If-Match']);
      },
    );

    it('treats an empty header as absent', () => {
      expect(parseCommandHeaders({ 'if-match': '' }).expectedVersion).toBeUndefined();
    });
  });

  describe('Idempotency-Key', () => {
    it('accepts 1 to 255 visible characters', () => {
      expect(parseCommandHeaders({ 'idempotency-key': 'k' }).idempotencyKey).toBe('k');
      expect(parseCommandHeaders({ 'idempotency-key': 'x'.repeat(255) }).idempotencyKey).toHaveLength(255);
    });

    it.each(['x'.repeat(256), 'has space', 'tab\there', 'ünïcode'])('rejects %j', (value) => {
      expect(rejected({ 'idempotency-key': value })).toEqual(['header.Idempotency-Key']);
    });
  });

  describe('Tally-Consistency', () => {
    it('accepts a checkpoint', () => {
      const token = '00000000000000000754.00000000000000000042';
      expect(parseCommandHeaders({ 'tally-consistency': token }).consistencyToken).toBe(token);
    });

    it('rejects anything else', () => {
      expect(rejected({ 'tally-consistency': 'latest' })).toEqual(['header.Tally-Consistency']);
    });
  });

  it('names every bad header at once', () => {
    expect(
      rejected({ 'if-match': 'W/"1"', 'idempotency-key': ' ', 'tally-consistency': 'x' }).sort(),
    ).toEqual(['header.Idempotency-Key', 'header.If-Match', 'header.Tally-Consistency']);
  });
});

describe('etag', () => {
  it('quotes the version', () => {
    expect(etag(3)).toBe('"3"');
  });
});
