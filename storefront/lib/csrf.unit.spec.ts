import { csrfMatches, csrfTokenFor, newCsrfCookieValue, sameOrigin } from './csrf';

describe('CSRF double-submit token', () => {
  const cookie = newCsrfCookieValue();

  it('accepts the token made from the same cookie', () => {
    expect(csrfMatches(cookie, csrfTokenFor(cookie))).toBe(true);
  });

  it("refuses another browser's token, a missing cookie, and a missing or empty field", () => {
    expect(csrfMatches(cookie, csrfTokenFor(newCsrfCookieValue()))).toBe(false);
    expect(csrfMatches(undefined, csrfTokenFor(cookie))).toBe(false);
    expect(csrfMatches(cookie, null)).toBe(false);
    expect(csrfMatches(cookie, '')).toBe(false);
  });

  it('refuses the cookie value itself as the token (the field is an HMAC of it)', () => {
    expect(csrfMatches(cookie, cookie)).toBe(false);
  });
});

describe('sameOrigin', () => {
  it('accepts a post from the host it was sent to', () => {
    expect(sameOrigin('http://localhost:3000', 'localhost:3000')).toBe(true);
  });

  it('refuses a post from another site or a garbled Origin', () => {
    expect(sameOrigin('https://evil.example', 'localhost:3000')).toBe(false);
    expect(sameOrigin('http://localhost:4000', 'localhost:3000')).toBe(false);
    expect(sameOrigin('null', 'localhost:3000')).toBe(false);
    expect(sameOrigin('http://localhost:3000', null)).toBe(false);
  });
});
