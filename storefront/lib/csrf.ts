import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { cookies, headers } from 'next/headers';
import { CSRF_COOKIE } from './cookies';

/**
 * CSRF protection for every state-changing form: a double-submitted token. proxy.ts gives each browser a
 * random value in an httpOnly, SameSite=Strict cookie; each form carries `HMAC(secret, value)` in a hidden
 * `csrf` field; every Server Action recomputes it from the cookie and compares. A cross-site form has
 * neither the cookie (SameSite=Strict) nor a way to read or compute the field, and the Origin check refuses
 * it even before that.
 */

/** The hidden field's name. */
export const CSRF_FIELD = 'csrf';

const SECRET_KEY = Symbol.for('tally.storefront.csrf-secret');

/**
 * One secret per process, kept on globalThis because Next bundles proxy, pages and actions as separate module
 * graphs. Derived from TALLY_AUTH_SECRET when set (so several storefront processes agree), else random: then
 * a restart only makes forms rendered before it ask to be sent again.
 */
function secret(): Buffer {
  const holder = globalThis as unknown as Record<symbol, Buffer | undefined>;
  const existing = holder[SECRET_KEY];
  if (existing) return existing;
  const auth = process.env.TALLY_AUTH_SECRET;
  const made = auth ? createHmac('sha256', auth).update('storefront-csrf').digest() : randomBytes(32);
  holder[SECRET_KEY] = made;
  return made;
}

/** The form token for a cookie value. */
export function csrfTokenFor(cookieValue: string): string {
  return createHmac('sha256', secret()).update(cookieValue).digest('base64url');
}

/** A fresh random cookie value (proxy.ts sets it when the browser has none). */
export function newCsrfCookieValue(): string {
  return randomBytes(24).toString('base64url');
}

/** The token to put in this page's forms ('' when the browser has no cookie yet: the post then fails). */
export async function csrfToken(): Promise<string> {
  const value = (await cookies()).get(CSRF_COOKIE)?.value;
  return value ? csrfTokenFor(value) : '';
}

/** True when `token` matches the cookie; constant-time. */
export function csrfMatches(cookieValue: string | undefined, token: unknown): boolean {
  if (!cookieValue || typeof token !== 'string' || token.length === 0) return false;
  const expected = Buffer.from(csrfTokenFor(cookieValue));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** True when `origin` (the Origin header) names the host the request was sent to. */
export function sameOrigin(origin: string | null, host: string | null): boolean {
  if (!origin) return true; // Browsers always send Origin on POST; non-browser clients have no ambient cookies to abuse.
  if (!host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * Checks a form post: Origin and the double-submitted token. Call first in every Server Action; on false,
 * change nothing and show {@link CSRF_FAILED_MESSAGE}.
 */
export async function verifyCsrf(form: FormData): Promise<boolean> {
  const incoming = await headers();
  const host = incoming.get('x-forwarded-host') ?? incoming.get('host');
  if (!sameOrigin(incoming.get('origin'), host)) return false;
  return csrfMatches((await cookies()).get(CSRF_COOKIE)?.value, form.get(CSRF_FIELD));
}

export const CSRF_FAILED_MESSAGE =
  'This form has expired or did not come from this site. Reload the page and try again.';
