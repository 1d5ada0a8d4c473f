import { addMilliseconds, epochMsToInstant, instantToEpochMs } from './time';

describe('ISO instants', () => {
  it.each([
    ['1970-01-01T00:00:00.000Z', 0],
    ['1970-01-01T00:00:00Z', 0],
    ['2025-01-01T10:00:00.000Z', 1_735_725_600_000],
    ['2024-02-29T23:59:59.999Z', 1_709_251_199_999],
    ['2000-03-01T00:00:00.000Z', 951_868_800_000],
    ['1969-12-31T23:59:59.999Z', -1],
    ['2025-01-01T11:30:00.000+01:30', 1_735_725_600_000],
    ['2025-01-01T05:00:00.000-05:00', 1_735_725_600_000],
    ['2025-01-01T10:00:00.1234567Z', 1_735_725_600_123],
  ])('reads %s as %i ms since the epoch', (iso, epochMs) => {
    expect(instantToEpochMs(iso)).toBe(epochMs);
  });

  it.each([
    '2025-01-01',
    '2025-01-01T10:00:00',
    '2025-13-01T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2100-02-29T00:00:00Z',
    '2025-04-31T00:00:00Z',
    '2025-01-01T24:00:00Z',
    '2025-01-01T10:60:00Z',
    'yesterday',
    '',
  ])('refuses %p', (iso) => {
    expect(instantToEpochMs(iso)).toBeNull();
    expect(addMilliseconds(iso, 1)).toBeNull();
  });

  it.each([
    [0, '1970-01-01T00:00:00.000Z'],
    [1_735_725_600_000, '2025-01-01T10:00:00.000Z'],
    [1_709_251_199_999, '2024-02-29T23:59:59.999Z'],
    [-1, '1969-12-31T23:59:59.999Z'],
    [253_402_300_799_999, '9999-12-31T23:59:59.999Z'],
  ])('writes %i as %s', (epochMs, iso) => {
    expect(epochMsToInstant(epochMs)).toBe(iso);
  });

  it('adds across a day, a leap day, a month and a year', () => {
    expect(addMilliseconds('2025-01-01T10:00:00.000Z', 900_000)).toBe('2025-01-01T10:15:00.000Z');
    expect(addMilliseconds('2024-02-28T23:50:00.000Z', 900_000)).toBe('2024-02-29T00:05:00.000Z');
    expect(addMilliseconds('2025-02-28T23:50:00.000Z', 900_000)).toBe('2025-03-01T00:05:00.000Z');
    expect(addMilliseconds('2025-12-31T23:59:59.500Z', 600)).toBe('2026-01-01T00:00:00.100Z');
    expect(addMilliseconds('2025-01-01T00:30:00.000+01:00', 0)).toBe('2024-12-31T23:30:00.000Z');
  });

  it('round-trips every day of four centuries', () => {
    // 1900-01-01 .. 2300-01-01 covers the century and 400-year leap rules.
    const mismatches: number[] = [];
    for (let days = -25_567; days < 120_529; days += 1) {
      const epochMs = days * 86_400_000 + 45_296_789;
      if (instantToEpochMs(epochMsToInstant(epochMs)) !== epochMs) mismatches.push(days);
    }
    expect(mismatches).toEqual([]);
  });
});
