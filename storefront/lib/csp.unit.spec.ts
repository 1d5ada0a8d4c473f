import { buildCsp } from './csp';

describe('buildCsp', () => {
  it('allows scripts only with the nonce and forbids framing, plugins and foreign forms', () => {
    const csp = buildCsp('abc123', { dev: false, stripe: false, https: false });
    expect(csp).toContain("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("base-uri 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toContain('stripe.com');
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  it('lets Stripe in only in Stripe mode, and eval only in next dev', () => {
    expect(buildCsp('n', { dev: false, stripe: true, https: true })).toContain('https://js.stripe.com');
    expect(buildCsp('n', { dev: true, stripe: false, https: false })).toContain("'unsafe-eval'");
  });
});
