import { projectorsUrl } from './audit';

describe('projectorsUrl', () => {
  it('takes TALLY_PROJECTORS_URL as given, without a trailing slash', () => {
    expect(
      projectorsUrl({ TALLY_PROJECTORS_URL: 'https://audit.example.test/', PROJECTORS_PORT: '4000' }),
    ).toBe('https://audit.example.test');
  });

  it("follows the apps' own HOST and PROJECTORS_PORT when the storefront runs beside them", () => {
    expect(projectorsUrl({ HOST: '0.0.0.0', PROJECTORS_PORT: '41003' })).toBe('http://127.0.0.1:41003');
    expect(projectorsUrl({ HOST: '10.0.0.5', PROJECTORS_PORT: '41003' })).toBe('http://10.0.0.5:41003');
    expect(projectorsUrl({ HOST: '::', PROJECTORS_PORT: '41003' })).toBe('http://[::1]:41003');
  });

  it('falls back to the default port, and ignores a port that is not one', () => {
    expect(projectorsUrl({})).toBe('http://127.0.0.1:3003');
    expect(projectorsUrl({ PROJECTORS_PORT: '30o3' })).toBe('http://127.0.0.1:3003');
  });
});
