import { NextResponse, type NextRequest } from 'next/server';
import { buildCsp } from './lib/csp';
import {
  ACCESS_COOKIE,
  ACCESS_TTL_SECONDS,
  CSRF_COOKIE,
  REFRESH_COOKIE,
  REFRESH_TTL_SECONDS,
} from './lib/cookies';
import { newCsrfCookieValue } from './lib/csrf';
import { storefrontConfig } from './lib/config';

/**
 * Runs before every page and Server Action: gives the response a per-request nonce CSP, gives the browser
 * its CSRF cookie, and refreshes an expired access token with the refresh token (rotation), so pages and
 * actions always see a live session or a guest, never a half-expired one.
 */
export async function proxy(request: NextRequest): Promise<NextResponse> {
  const nonce = Buffer.from(crypto.randomUUID()).toString('base64');
  const config = storefrontConfig();
  const csp = buildCsp(nonce, {
    dev: process.env.NODE_ENV === 'development',
    stripe: config.stripePublishableKey !== undefined,
    https: config.publicUrl.startsWith('https://'),
  });

  const cookieUpdates = new Map<string, { value: string; maxAge: number; sameSite: 'lax' | 'strict' }>();
  if (!request.cookies.get(CSRF_COOKIE)?.value)
    cookieUpdates.set(CSRF_COOKIE, {
      value: newCsrfCookieValue(),
      maxAge: 60 * 60 * 24 * 30,
      sameSite: 'strict',
    });

  const access = request.cookies.get(ACCESS_COOKIE)?.value;
  const refresh = request.cookies.get(REFRESH_COOKIE)?.value;
  if (refresh && !accessTokenFresh(access)) {
    const pair = await refreshOnce(config.commandApiUrl, refresh);
    if (pair === 'invalid') {
      cookieUpdates.set(ACCESS_COOKIE, { value: '', maxAge: 0, sameSite: 'lax' });
      cookieUpdates.set(REFRESH_COOKIE, { value: '', maxAge: 0, sameSite: 'lax' });
    } else if (pair) {
      cookieUpdates.set(ACCESS_COOKIE, {
        value: pair.accessToken,
        maxAge: pair.expiresIn ?? ACCESS_TTL_SECONDS,
        sameSite: 'lax',
      });
      cookieUpdates.set(REFRESH_COOKIE, {
        value: pair.refreshToken,
        maxAge: REFRESH_TTL_SECONDS,
        sameSite: 'lax',
      });
    }
  }

  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('x-nonce', nonce);
  requestHeaders.set('content-security-policy', csp);
  if (!requestHeaders.has('x-correlation-id')) requestHeaders.set('x-correlation-id', crypto.randomUUID());
  if (cookieUpdates.size > 0) {
    // The page rendering this request must already see the new cookies, not only the browser's next request.
    const jar = new Map(request.cookies.getAll().map((cookie) => [cookie.name, cookie.value]));
    for (const [name, update] of cookieUpdates) {
      if (update.maxAge === 0) jar.delete(name);
      else jar.set(name, update.value);
    }
    requestHeaders.set(
      'cookie',
      [...jar].map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('; '),
    );
  }

  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set('Content-Security-Policy', csp);
  for (const [name, update] of cookieUpdates) {
    response.cookies.set(name, update.value, {
      httpOnly: true,
      sameSite: update.sameSite,
      secure: config.secureCookies,
      path: '/',
      maxAge: update.maxAge,
    });
  }
  return response;
}

/** True when the access token exists and has more than 30 s to live (its signature is the API's business). */
function accessTokenFresh(token: string | undefined): boolean {
  if (!token) return false;
  const payload = token.split('.')[1];
  if (!payload) return false;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && claims.exp - 30 > Date.now() / 1000;
  } catch {
    return false;
  }
}

type Refreshed = { accessToken: string; refreshToken: string; expiresIn?: number } | 'invalid' | undefined;

const IN_FLIGHT_KEY = Symbol.for('tally.storefront.refreshes');

/**
 * One refresh per refresh token at a time, shared by every request that carries it: a page and the requests
 * it starts (suggestions, the order's event stream) arrive together, and a second use of a rotated refresh
 * token is a reuse that revokes the whole family. The answer is kept briefly for stragglers.
 */
function refreshOnce(commandApiUrl: string, refreshToken: string): Promise<Refreshed> {
  const holder = globalThis as unknown as Record<symbol, Map<string, Promise<Refreshed>> | undefined>;
  const inFlight = (holder[IN_FLIGHT_KEY] ??= new Map<string, Promise<Refreshed>>());
  const existing = inFlight.get(refreshToken);
  if (existing) return existing;
  const pending = refreshPair(commandApiUrl, refreshToken);
  inFlight.set(refreshToken, pending);
  void pending.finally(() => {
    setTimeout(() => inFlight.delete(refreshToken), 10_000);
  });
  return pending;
}

/** A new token pair, 'invalid' when the API refused the refresh token, undefined when it could not be asked. */
async function refreshPair(commandApiUrl: string, refreshToken: string): Promise<Refreshed> {
  try {
    const response = await fetch(`${commandApiUrl}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ refreshToken }),
      cache: 'no-store',
    });
    if (response.status === 401 || response.status === 400) return 'invalid';
    if (!response.ok) return undefined;
    const body = (await response.json()) as {
      accessToken?: unknown;
      refreshToken?: unknown;
      expiresIn?: unknown;
    };
    if (typeof body.accessToken !== 'string' || typeof body.refreshToken !== 'string') return undefined;
    return {
      accessToken: body.accessToken,
      refreshToken: body.refreshToken,
      ...(typeof body.expiresIn === 'number' ? { expiresIn: body.expiresIn } : {}),
    };
  } catch {
    return undefined;
  }
}

export const config = {
  matcher: [
    {
      source: '/((?!_next/static|_next/image|images/|favicon.ico|robots.txt|sitemap.xml).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
