import {
  addDays,
  daysOf,
  defaultRange,
  formatRate,
  MAX_RANGE_DAYS,
  parseDay,
  parseRange,
} from './analytics-params';

const TODAY = new Date('2026-03-15T23:59:59.999Z');

describe('parseDay', () => {
  it('takes a real calendar day', () => {
    expect(parseDay('2026-02-28')).toBe('2026-02-28');
    expect(parseDay('2028-02-29')).toBe('2028-02-29');
  });

  it('refuses what is not one', () => {
    for (const value of ['2026-02-30', '2026-13-01', '2026-3-1', '01/03/2026', '2026-03-01T00:00', ''])
      expect(parseDay(value)).toBeUndefined();
  });
});

describe('parseRange', () => {
  it('defaults to the 30 days ending today (UTC)', () => {
    expect(parseRange({}, TODAY)).toEqual({ ok: true, range: { from: '2026-02-14', to: '2026-03-15' } });
    expect(parseRange({}, TODAY)).toEqual({ ok: true, range: defaultRange(TODAY) });
  });

  it('takes both ends as given, inclusive', () => {
    expect(parseRange({ from: '2026-01-01', to: '2026-01-01' }, TODAY)).toEqual({
      ok: true,
      range: { from: '2026-01-01', to: '2026-01-01' },
    });
  });

  it('fills a missing end: from alone runs to today, to alone looks back 30 days', () => {
    expect(parseRange({ from: '2026-03-01' }, TODAY)).toEqual({
      ok: true,
      range: { from: '2026-03-01', to: '2026-03-15' },
    });
    expect(parseRange({ to: '2026-01-30' }, TODAY)).toEqual({
      ok: true,
      range: { from: '2026-01-01', to: '2026-01-30' },
    });
  });

  it('names the field of a bad date', () => {
    expect(parseRange({ from: '2026-02-30' }, TODAY)).toMatchObject({ ok: false, bad: { field: 'from' } });
    expect(parseRange({ to: 'tomorrow' }, TODAY)).toMatchObject({ ok: false, bad: { field: 'to' } });
  });

  it('refuses a range that ends before it starts', () => {
    expect(parseRange({ from: '2026-03-02', to: '2026-03-01' }, TODAY)).toMatchObject({
      ok: false,
      bad: { field: 'to', message: 'To: must not be before From.' },
    });
  });

  it(`refuses a range longer than ${MAX_RANGE_DAYS} days`, () => {
    const to = '2026-03-15';
    expect(parseRange({ from: addDays(to, -(MAX_RANGE_DAYS - 1)), to }, TODAY)).toMatchObject({ ok: true });
    expect(parseRange({ from: addDays(to, -MAX_RANGE_DAYS), to }, TODAY)).toMatchObject({
      ok: false,
      bad: { field: 'from' },
    });
  });
});

describe('daysOf', () => {
  it('lists every day of the range across a month end', () => {
    expect(daysOf({ from: '2026-02-27', to: '2026-03-02' })).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
    ]);
  });
});

describe('formatRate', () => {
  it('shows a share as a percentage with one decimal, and nothing to divide by as n/a', () => {
    expect(formatRate(3 / 7)).toBe('42.9%');
    expect(formatRate(0)).toBe('0.0%');
    expect(formatRate(null)).toBe('n/a');
  });
});
