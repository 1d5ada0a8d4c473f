import { dateKey, warehouseInstant } from './warehouse-time';

describe('warehouseInstant', () => {
  it('keeps an instant already in the canonical form', () => {
    expect(warehouseInstant('2030-01-02T03:04:05.678Z')).toBe('2030-01-02T03:04:05.678Z');
  });

  it('normalizes other ISO-8601 forms to UTC with milliseconds', () => {
    expect(warehouseInstant('2030-01-02T03:04:05+02:00')).toBe('2030-01-02T01:04:05.000Z');
    expect(warehouseInstant('2024-02-29T23:59:59.999999Z')).toBe('2024-02-29T23:59:59.999Z');
    expect(warehouseInstant('2030-12-31T23:30:00.000-01:00')).toBe('2031-01-01T00:30:00.000Z');
  });

  it('refuses what is not a time, and times outside the calendar of dim_date', () => {
    for (const value of [null, 42, '', 'yesterday', '2030-13-01T00:00:00.000Z', '1999-12-31T23:59:59.999Z'])
      expect(warehouseInstant(value)).toBeNull();
    expect(warehouseInstant('2100-01-01T00:00:00.000Z')).toBeNull();
    expect(warehouseInstant('2099-12-31T23:59:59.999Z')).toBe('2099-12-31T23:59:59.999Z');
  });

  it('gives the UTC day as yyyymmdd', () => {
    expect(dateKey('2030-01-02T23:59:59.999Z')).toBe(20300102);
  });
});
