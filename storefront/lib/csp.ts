/**
 * The Content-Security-Policy of every page: scripts only with this response's nonce (Next puts it on its
 * own scripts), no inline styles but Next's nonced ones, nothing from another origin except Stripe's in Stripe mode, and no
 * framing. `unsafe-eval` only in `next dev`, where React needs it.
 */
export function buildCsp(
  nonce: string,
  options: { readonly dev: boolean; readonly stripe: boolean; readonly https: boolean },
): string {
  const stripeScript = options.stripe ? ' https://js.stripe.com' : '';
  const stripeFrame = options.stripe ? 'https://js.stripe.com https://hooks.stripe.com' : "'none'";
  const stripeConnect = options.stripe ? ' https://api.stripe.com' : '';
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${stripeScript}${options.dev ? " 'unsafe-eval'" : ''}`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${stripeConnect}`,
    `frame-src ${stripeFrame}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    // Only behind HTTPS: on http://localhost it would send every asset to an https:// that is not there.
    ...(options.https ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}
