import { ISO_3166_ALPHA_2, isCountryCode } from './country-codes';

describe('ISO 3166-1 alpha-2 codes', () => {
  it('holds the 249 officially assigned codes', () => {
    expect(ISO_3166_ALPHA_2.size).toBe(249);
  });

  it('names a region ICU knows for every code (a typo would fall back to the code itself)', () => {
    const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
    const unnamed = [...ISO_3166_ALPHA_2].filter((code) => names.of(code) === code);
    expect(unnamed).toEqual([]);
  });

  it.each(['DE', 'FR', 'US', 'GB', 'SS', 'AX'])('accepts %s', (code) => {
    expect(isCountryCode(code)).toBe(true);
  });

  it.each(['UK', 'EU', 'XK', 'ZZ', 'QQ', 'de', 'DEU', '', 'D'])('rejects %s', (code) => {
    expect(isCountryCode(code)).toBe(false);
  });
});
