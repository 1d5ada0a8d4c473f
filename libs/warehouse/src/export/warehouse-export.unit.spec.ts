import { WAREHOUSE_VIEWS } from '../views/warehouse.views';
import { WAREHOUSE_TABLES } from '../warehouse.schema';
import {
  dayFilter,
  isExportDay,
  WAREHOUSE_EXPORT_DATE_COLUMNS,
  WAREHOUSE_EXPORTABLE,
} from './warehouse-export';

describe('warehouse export selection', () => {
  it('exports every warehouse table and metric view, and says for each how days are selected', () => {
    expect([...WAREHOUSE_EXPORTABLE].sort()).toEqual([...WAREHOUSE_TABLES, ...WAREHOUSE_VIEWS].sort());
    expect(Object.keys(WAREHOUSE_EXPORT_DATE_COLUMNS).sort()).toEqual([...WAREHOUSE_EXPORTABLE].sort());
  });

  it.each([
    ['2026-03-01', true],
    ['2024-02-29', true],
    ['2026-02-29', false],
    ['2026-13-01', false],
    ['2026-3-1', false],
    ['2026-03-01T00:00:00Z', false],
    ['yesterday', false],
    ['', false],
  ])('takes %j as a day: %s', (text, valid) => {
    expect(isExportDay(text)).toBe(valid);
  });

  describe('day filters, days always as parameters', () => {
    it('compares a date key with yyyymmdd integers', () => {
      expect(dayFilter({ column: 'date_key', kind: 'date_key' }, '2026-03-01', '2026-03-31')).toEqual({
        where: '"date_key" >= $1::int AND "date_key" <= $2::int',
        params: [20260301, 20260331],
      });
    });

    it('compares a date with the days, inclusive', () => {
      expect(dayFilter({ column: 'date', kind: 'date' }, undefined, '2026-03-31')).toEqual({
        where: '"date" <= $1::date',
        params: ['2026-03-31'],
      });
    });

    it('takes whole months from the month of the first day', () => {
      expect(dayFilter({ column: 'month', kind: 'month' }, '2026-03-15', '2026-04-02')).toEqual({
        where: `"month" >= date_trunc('month', $1::date)::date AND "month" <= $2::date`,
        params: ['2026-03-15', '2026-04-02'],
      });
    });

    it('selects instants from the first UTC midnight up to, not including, the midnight after the last day', () => {
      expect(dayFilter({ column: 'opened_at', kind: 'timestamp' }, '2026-02-28', '2026-12-31')).toEqual({
        where: '"opened_at" >= $1::timestamptz AND "opened_at" < $2::timestamptz',
        params: ['2026-02-28T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
      });
    });

    it('selects everything without days', () => {
      expect(dayFilter({ column: 'date', kind: 'date' }, undefined, undefined)).toEqual({
        where: '',
        params: [],
      });
    });
  });
});
