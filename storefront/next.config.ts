import type { NextConfig } from 'next';

/**
 * The storefront renders on the server and talks to command-api and query-api from there; the browser never
 * calls the APIs directly. Security headers that do not depend on the request live here; the CSP (with its
 * per-request nonce) is set in proxy.ts.
 */
const config: NextConfig = {
  // Several builds (the lead's, the benchmark's, a helper's) can live side by side.
  distDir: process.env.NEXT_DIST_DIR ?? '.next',
  poweredByHeader: false,
  reactStrictMode: true,
  // The repo's own `npm run check` type-checks and lints the storefront with the rest of Tally.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(self)' },
          ...(process.env.NODE_ENV === 'production'
            ? [{ key: 'Strict-Transport-Security', value: 'max-age=63072000; includeSubDomains' }]
            : []),
        ],
      },
    ];
  },
};

export default config;
