import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Compact HS256 JSON Web Tokens (RFC 7519) and HMAC-signed values, on Node's own crypto. Every app shares
 * one secret (`TALLY_AUTH_SECRET`): command-api issues tokens, every app verifies them.
 */

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** Claims Tally puts in an access token. */
export interface AccessClaims {
  /** The customer id (also for admins, auditors and analysts: every account is a customer stream). */
  readonly sub: string;
  readonly role: 'customer' | 'admin' | 'auditor' | 'analyst';
  readonly email: string;
  /** Issued at, seconds since the epoch. */
  readonly iat: number;
  /** Expires at, seconds since the epoch. */
  readonly exp: number;
}

/** Access tokens live 15 minutes. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

export function signAccessToken(
  claims: Omit<AccessClaims, 'iat' | 'exp'>,
  secret: string,
  now: Date,
  ttlSeconds = ACCESS_TOKEN_TTL_SECONDS,
): string {
  const iat = Math.floor(now.getTime() / 1000);
  const payload = base64url(JSON.stringify({ ...claims, iat, exp: iat + ttlSeconds }));
  return `${HEADER}.${payload}.${hmac(`${HEADER}.${payload}`, secret)}`;
}

export type VerifiedAccessToken =
  | { readonly ok: true; readonly claims: AccessClaims }
  | { readonly ok: false; readonly reason: 'malformed' | 'bad_signature' | 'expired' };

/** Checks signature, algorithm and expiry. Never throws. */
export function verifyAccessToken(token: string, secret: string, now: Date): VerifiedAccessToken {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [header, payload, signature] = parts as [string, string, string];
  if (header !== HEADER) return { ok: false, reason: 'malformed' };
  if (!safeEqual(signature, hmac(`${header}.${payload}`, secret)))
    return { ok: false, reason: 'bad_signature' };
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!isAccessClaims(claims)) return { ok: false, reason: 'malformed' };
  if (claims.exp <= Math.floor(now.getTime() / 1000)) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}

/** `<value>.<signature>`: a value the client carries but cannot forge (the guest cart cookie). */
export function signValue(value: string, secret: string, purpose: string): string {
  return `${value}.${hmac(`${purpose}:${value}`, secret)}`;
}

/** The value of a {@link signValue} string, or `null` when it was tampered with or signed for another purpose. */
export function verifySignedValue(signed: string, secret: string, purpose: string): string | null {
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return null;
  const value = signed.slice(0, dot);
  return safeEqual(signed.slice(dot + 1), hmac(`${purpose}:${value}`, secret)) ? value : null;
}

function hmac(input: string, secret: string): string {
  return createHmac('sha256', secret).update(input).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function isAccessClaims(value: unknown): value is AccessClaims {
  if (typeof value !== 'object' || value === null) return false;
  const claims = value as Record<string, unknown>;
  return (
    typeof claims.sub === 'string' &&
    typeof claims.email === 'string' &&
    typeof claims.iat === 'number' &&
    typeof claims.exp === 'number' &&
    (claims.role === 'customer' ||
      claims.role === 'admin' ||
      claims.role === 'auditor' ||
      claims.role === 'analyst')
  );
}
