import {
  filtersQuery,
  isStreamId,
  momentInput,
  narrowEnough,
  parseEventFilters,
  parseMoment,
  parseStreamChoice,
  routeParam,
} from './audit-params';

describe('parseMoment', () => {
  it('reads a datetime-local value as UTC', () => {
    expect(parseMoment('2026-03-01T09:30')).toBe('2026-03-01T09:30:00.000Z');
    expect(parseMoment('2026-03-01T09:30:15')).toBe('2026-03-01T09:30:15.000Z');
  });

  it('keeps the zone of a full ISO time', () => {
    expect(parseMoment('2026-03-01T09:30:00+02:00')).toBe('2026-03-01T07:30:00.000Z');
    expect(parseMoment('2026-03-01T09:30:00.123Z')).toBe('2026-03-01T09:30:00.123Z');
  });

  it('refuses what is not a moment', () => {
    for (const bad of [
      'yesterday',
      '2026-03-01',
      '2026-13-01T09:30',
      '2026-03-01 09:30',
      '2026-02-30T10:00',
      '',
    ])
      expect(parseMoment(bad)).toBeUndefined();
  });

  it('shows a moment back as the input takes it', () => {
    expect(momentInput('2026-03-01T09:30:15.000Z')).toBe('2026-03-01T09:30:15');
    expect(momentInput(undefined)).toBe('');
  });
});

describe('parseEventFilters', () => {
  it('keeps the filters given and drops blank ones', () => {
    const parsed = parseEventFilters({
      type: 'OrderPlaced',
      actor: ' ',
      streamId: 'order-0b8e0f43-52a5-4c57-9f57-2c3a07f7a9a1',
      from: '2026-03-01T09:30',
      page: '3',
    });
    expect(parsed).toEqual({
      ok: true,
      filters: {
        type: 'OrderPlaced',
        streamId: 'order-0b8e0f43-52a5-4c57-9f57-2c3a07f7a9a1',
        from: '2026-03-01T09:30:00.000Z',
        page: 3,
      },
    });
  });

  it.each([
    [{ type: 'order placed' }, 'type'],
    [{ actor: 'a b' }, 'actor'],
    [{ correlationId: '<script>' }, 'correlationId'],
    [{ streamId: 'Order_1' }, 'streamId'],
    [{ from: 'last week' }, 'from'],
    [{ to: '2026-02-30T25:00' }, 'to'],
    [{ from: '2026-03-02T00:00', to: '2026-03-01T00:00' }, 'to'],
    [{ page: '0' }, 'page'],
    [{ to: '2026-03-01T00:00' }, 'from'],
    [{ correlationId: 'c'.repeat(101) }, 'correlationId'],
    [{ page: 'two' }, 'page'],
  ])('names the bad field of %j', (params, field) => {
    const parsed = parseEventFilters(params);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.bad.field).toBe(field);
  });

  it('searches only when narrowed by a filter or a start time', () => {
    const narrowed = (params: Record<string, string>) => {
      const parsed = parseEventFilters(params);
      if (!parsed.ok) throw new Error(parsed.bad.message);
      return narrowEnough(parsed.filters);
    };
    expect(narrowed({})).toBe(false);
    expect(narrowed({ page: '2' })).toBe(false);
    expect(narrowed({ from: '2026-03-01T00:00' })).toBe(true);
    expect(narrowed({ actor: 'system' })).toBe(true);
  });

  it('puts the filters back in a URL, page 1 left out', () => {
    const parsed = parseEventFilters({ type: 'CartCheckedOut', correlationId: 'c-1', page: '2' });
    if (!parsed.ok) throw new Error(parsed.bad.message);
    expect(filtersQuery(parsed.filters).toString()).toBe('type=CartCheckedOut&correlationId=c-1&page=2');
    expect(filtersQuery(parsed.filters, 1).toString()).toBe('type=CartCheckedOut&correlationId=c-1');
  });
});

describe('parseStreamChoice', () => {
  it('shows the latest state from the first version when nothing is chosen', () => {
    expect(parseStreamChoice({})).toEqual({ point: { kind: 'latest' }, fromVersion: 1 });
  });

  it('takes version 0 as the state before the first event', () => {
    expect(parseStreamChoice({ version: '0' }).point).toEqual({ kind: 'version', version: 0 });
  });

  it('compares a chosen version with the latest', () => {
    expect(parseStreamChoice({ version: '1' })).toEqual({
      point: { kind: 'version', version: 1 },
      diff: { from: 1 },
      fromVersion: 1,
    });
  });

  it('reads a moment, an explicit comparison and a timeline page', () => {
    expect(
      parseStreamChoice({ asOf: '2026-03-01T09:30', diffFrom: '2', diffTo: '5', fromVersion: '101' }),
    ).toEqual({
      point: { kind: 'asOf', asOf: '2026-03-01T09:30:00.000Z' },
      diff: { from: 2, to: 5 },
      fromVersion: 101,
    });
  });

  it.each([
    [{ version: '-1' }, 'version'],
    [{ version: '1', asOf: '2026-03-01T09:30' }, 'asOf'],
    [{ asOf: 'noon' }, 'asOf'],
    [{ diffTo: '3' }, 'diffFrom'],
    [{ diffFrom: '4', diffTo: '3' }, 'diffTo'],
    [{ fromVersion: '-1' }, 'fromVersion'],
  ])('names the bad field of %j and falls back for it', (params, field) => {
    const choice = parseStreamChoice(params);
    expect(choice.bad?.field).toBe(field);
    expect(choice.fromVersion).toBeGreaterThanOrEqual(1);
  });
});

describe('ids and labels', () => {
  it('accepts stream ids of the form <aggregate>-<id> only', () => {
    expect(isStreamId('stock-KIT-002')).toBe(true);
    expect(isStreamId('checkout-0b8e0f43-52a5-4c57-9f57-2c3a07f7a9a1')).toBe(true);
    expect(isStreamId('order')).toBe(false);
    expect(isStreamId('../etc/passwd')).toBe(false);
  });

  it('decodes a route segment and keeps a malformed one as it is', () => {
    expect(routeParam('stock-A%2FB')).toBe('stock-A/B');
    expect(routeParam('stock-%E0%A4%A')).toBe('stock-%E0%A4%A');
  });
});
