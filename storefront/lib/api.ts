import { randomUUID } from 'node:crypto';
import { cookies, headers } from 'next/headers';
import { storefrontConfig } from './config';
import {
  ACCESS_COOKIE,
  CART_COOKIE,
  CART_TOKEN_HEADER,
  CONSISTENCY_COOKIE,
  CONSISTENCY_HEADER,
  CONSISTENCY_TTL_SECONDS,
  REFRESH_COOKIE,
} from './cookies';
import { storeTokens, type AuthTokens } from './session';

/**
 * The storefront's only way to the APIs, server side. Every call forwards the shopper's identity
 * (`Authorization: Bearer <tally_access>`, `Tally-Cart-Token: <tally_cart>`) and a correlation id; every
 * command's `Tally-Consistency` token is remembered in a short-lived cookie and sent with the reads that
 * follow, so the page after an action waits for that action's effect instead of showing a stale one.
 * Nothing here throws for an HTTP failure: callers get a problem to show.
 */

/** One bad field of a problem, `field` as the API names it (`email`, `shippingAddress.city`, `header.X`). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** An RFC 9457 problem from an API, or one the client made up when the API could not be reached. */
export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
  readonly errors: readonly FieldError[];
}

export type ApiResult<T> =
  | {
      readonly ok: true;
      readonly status: number;
      readonly data: T;
      /** `Tally-Consistency` of a command's response. */
      readonly consistency: string | undefined;
      readonly etag: string | undefined;
      /** Raw `Set-Cookie` values of the API's response (the merged cart's token after sign-in). */
      readonly setCookies: readonly string[];
    }
  | { readonly ok: false; readonly status: number; readonly problem: Problem };

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface CallOptions {
  /** JSON body (commands). */
  readonly body?: unknown;
  /** `If-Match` for optimistic concurrency. */
  readonly ifMatch?: string | number;
  /** `Idempotency-Key`: a retried command then returns the first result. */
  readonly idempotencyKey?: string;
  /** A consistency token to wait for on a read (defaults to the shopper's last command's). */
  readonly consistency?: string | null;
  /** Call without the shopper's identity (auth endpoints that take credentials in the body). */
  readonly anonymous?: boolean;
  /** Leave the cart token out (opening a new cart: a stale or tampered token must not block it). */
  readonly withoutCartToken?: boolean;
}

/** A read on query-api (http://127.0.0.1:3002 by default). */
export function queryApi<T>(path: string, options: CallOptions = {}): Promise<ApiResult<T>> {
  return call<T>('query', 'GET', path, options);
}

/**
 * A command on command-api (http://127.0.0.1:3001 by default). Call from a Server Action or Route Handler:
 * it records the command's consistency token in a cookie for the next page.
 */
export async function commandApi<T>(
  method: HttpMethod,
  path: string,
  options: CallOptions = {},
): Promise<ApiResult<T>> {
  const result = await call<T>('command', method, path, options);
  if (result.ok && result.consistency) await rememberConsistency(result.consistency);
  return result;
}

/** Sends the next reads with `token`: the effect of the command that returned it is then visible. */
export async function rememberConsistency(token: string): Promise<void> {
  try {
    const jar = await cookies();
    jar.set(CONSISTENCY_COOKIE, token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: storefrontConfig().secureCookies,
      path: '/',
      maxAge: CONSISTENCY_TTL_SECONDS,
    });
  } catch {
    // Rendering (not an action): cookies are read-only there, and the caller passes the token itself.
  }
}

/** A human sentence for a problem, for a form's role=alert summary. */
export function problemMessage(problem: Problem): string {
  return problem.detail ?? problem.title;
}

/** The field errors of a problem keyed by body field (`body.` prefixes dropped), first message wins. */
export function fieldErrors(problem: Problem): Readonly<Record<string, string>> {
  const byField: Record<string, string> = {};
  for (const error of problem.errors) {
    const field = error.field.startsWith('body.') ? error.field.slice('body.'.length) : error.field;
    byField[field] ??= error.message;
  }
  return byField;
}

async function call<T>(
  api: 'command' | 'query',
  method: HttpMethod,
  path: string,
  options: CallOptions,
): Promise<ApiResult<T>> {
  const jar = await cookies();
  const first = await send<T>(api, method, path, options, jar.get(ACCESS_COOKIE)?.value);
  if (first.ok || first.status !== 401 || first.problem.code !== 'ACCESS_TOKEN_EXPIRED') {
    if (!first.ok && first.status === 503 && first.problem.code === 'CONSISTENCY_TIMEOUT' && method === 'GET')
      // The projections are behind the shopper's last action; show what there is rather than an error.
      return send<T>(api, method, path, { ...options, consistency: null }, jar.get(ACCESS_COOKIE)?.value);
    return first;
  }
  // proxy.ts refreshes an expired access token before the page renders; this covers the token expiring
  // between the proxy and this call.
  const refreshed = await refreshTokens(jar.get(REFRESH_COOKIE)?.value);
  if (!refreshed) return first;
  return send<T>(api, method, path, options, refreshed.accessToken);
}

/** Trades a refresh token for a new pair (rotation) and stores it when cookies can be written here. */
async function refreshTokens(refreshToken: string | undefined): Promise<AuthTokens | undefined> {
  if (!refreshToken) return undefined;
  const result = await send<AuthTokens>(
    'command',
    'POST',
    '/api/v1/auth/refresh',
    { body: { refreshToken }, anonymous: true },
    undefined,
  );
  if (!result.ok) return undefined;
  try {
    await storeTokens(result.data);
  } catch {
    // Rendering: the proxy stores the next pair on the following request.
  }
  return result.data;
}

async function send<T>(
  api: 'command' | 'query',
  method: HttpMethod,
  path: string,
  options: CallOptions,
  accessToken: string | undefined,
): Promise<ApiResult<T>> {
  const config = storefrontConfig();
  const jar = await cookies();
  const incoming = await headers();
  const requestHeaders: Record<string, string> = {
    accept: 'application/json',
    'x-correlation-id': incoming.get('x-correlation-id') ?? randomUUID(),
  };
  // The shopper's address, for the API's per-IP sign-in limit (it trusts it only from a configured proxy).
  const forwardedFor = incoming.get('x-forwarded-for');
  if (forwardedFor) requestHeaders['x-forwarded-for'] = forwardedFor;
  if (!options.anonymous) {
    if (accessToken) requestHeaders.authorization = `Bearer ${accessToken}`;
    const cartToken = options.withoutCartToken ? undefined : jar.get(CART_COOKIE)?.value;
    if (cartToken) requestHeaders[CART_TOKEN_HEADER] = cartToken;
  }
  const consistency =
    options.consistency === null
      ? undefined
      : (options.consistency ?? (method === 'GET' ? jar.get(CONSISTENCY_COOKIE)?.value : undefined));
  if (consistency) requestHeaders[CONSISTENCY_HEADER] = consistency;
  if (options.ifMatch !== undefined) requestHeaders['if-match'] = `"${String(options.ifMatch)}"`;
  if (options.idempotencyKey) requestHeaders['idempotency-key'] = options.idempotencyKey;
  if (options.body !== undefined) requestHeaders['content-type'] = 'application/json';

  const base = api === 'command' ? config.commandApiUrl : config.queryApiUrl;
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: requestHeaders,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
      redirect: 'manual',
    });
  } catch {
    return {
      ok: false,
      status: 503,
      problem: {
        status: 503,
        code: 'API_UNAVAILABLE',
        title: 'Service unavailable',
        detail: 'The shop is not reachable right now. Please try again in a moment.',
        errors: [],
      },
    };
  }
  const text = await response.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (response.ok) {
    return {
      ok: true,
      status: response.status,
      data: json as T,
      consistency: response.headers.get(CONSISTENCY_HEADER) ?? undefined,
      etag: response.headers.get('etag') ?? undefined,
      setCookies: response.headers.getSetCookie(),
    };
  }
  return { ok: false, status: response.status, problem: toProblem(response.status, json) };
}

/** Whatever the API sent as an error, as a {@link Problem}. */
export function toProblem(status: number, json: unknown): Problem {
  const body = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const errors = Array.isArray(body.errors)
    ? body.errors.flatMap((error: unknown) => {
        if (typeof error !== 'object' || error === null) return [];
        const { field, message } = error as Record<string, unknown>;
        return typeof field === 'string' && typeof message === 'string' ? [{ field, message }] : [];
      })
    : [];
  return {
    status,
    code: typeof body.code === 'string' ? body.code : `HTTP_${status}`,
    title: typeof body.title === 'string' ? body.title : 'Something went wrong',
    ...(typeof body.detail === 'string' ? { detail: body.detail } : {}),
    errors,
  };
}
