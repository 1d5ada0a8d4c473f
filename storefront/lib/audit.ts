import { randomUUID } from 'node:crypto';
import { cookies, headers } from 'next/headers';
import { queryApi, toProblem, type ApiResult } from './api';
import { ACCESS_COOKIE } from './cookies';
import { integrityBreaks, type IntegrityBreak } from './audit-view';
import { requireAccount, type Session } from './session';

export type { IntegrityBreak } from './audit-view';

/**
 * The auditor pages' reads and actions: the shapes query-api's `/api/v1/audit` returns (its OpenAPI
 * document is the source; only what the pages show is listed), the role check, and the two calls the
 * projectors app takes from an auditor (sign a checkpoint, verify now).
 */

/** One stored event as an auditor sees it: the envelope, who did it, and its link in its stream's chain. */
export interface AuditEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly version: number;
  readonly position: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly actor: { readonly id: string; readonly role: string };
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly commandId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly hash: string;
  /** The previous event's hash in the stream; 64 zeros for version 1. */
  readonly previousHash: string;
}

export interface AuditEventPage {
  readonly items: readonly AuditEvent[];
  readonly page: number;
  readonly pageSize: number;
  readonly hasMore: boolean;
}

export interface AuditStream {
  readonly streamId: string;
  /** The stream's latest version (not only of the events returned). */
  readonly version: number;
  readonly events: readonly AuditEvent[];
}

/** A stream's state folded by its aggregate's own decider, up to a version or a moment. */
export interface AuditState {
  readonly streamId: string;
  readonly aggregate: string;
  /** 0 when the stream did not exist yet at that moment. */
  readonly version: number;
  /** Null for version 0. */
  readonly recordedAt: string | null;
  readonly asOf?: string;
  readonly state: unknown;
}

export interface StateChange {
  /** JSON Pointer to the changed value, e.g. `/status` or `/lines/0/quantity`. */
  readonly path: string;
  readonly op: 'add' | 'remove' | 'replace';
  readonly from?: unknown;
  readonly to?: unknown;
}

export interface StateDiff {
  readonly streamId: string;
  readonly from: { readonly version: number; readonly recordedAt: string | null };
  readonly to: { readonly version: number; readonly recordedAt: string | null };
  readonly changes: readonly StateChange[];
  readonly events: readonly AuditEvent[];
}

/** Every event that shares one correlation id: one business story (a checkout) across its streams. */
export interface CorrelationStory {
  readonly correlationId: string;
  readonly streams: readonly string[];
  readonly events: readonly AuditEvent[];
  /** More events carry the id than one answer holds. */
  readonly truncated?: boolean;
}

/** A signed Merkle root over the global log up to a position. */
export interface Checkpoint {
  readonly sequence: number;
  readonly upTo: string;
  readonly leafCount: number;
  readonly root: string;
  readonly createdAt: string;
  readonly keyId: string;
}

export interface Verification {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly scope: string;
  readonly ok: boolean;
  readonly eventsChecked: number;
  readonly streamsChecked: number;
  readonly checkpointSequence: number | null;
  readonly breaks: readonly IntegrityBreak[];
}

export interface IntegrityStatus {
  readonly lastCheckpoint: Checkpoint | null;
  readonly lastVerification: Verification | null;
}

/** The role the auditor pages and query-api's audit endpoints require. */
export const AUDITOR_ROLE = 'auditor';

/**
 * The signed-in auditor, or `'forbidden'` for an account without the role (the page then says so: a 403,
 * not a silent redirect, because an auditor who was just given the role must learn to sign in again);
 * a guest is sent to sign in and comes back to `path`. The APIs check the role again on every call.
 */
export async function auditorOrForbidden(
  path: string,
): Promise<Extract<Session, { kind: 'account' }> | 'forbidden'> {
  const session = await requireAccount(path);
  return session.role === AUDITOR_ROLE ? session : 'forbidden';
}

const enc = encodeURIComponent;

/** Stream reads are always current (they read the store, not a projection): no consistency wait. */
const fresh = { consistency: null } as const;

export function searchEvents(query: URLSearchParams): Promise<ApiResult<AuditEventPage>> {
  return queryApi<AuditEventPage>(`/api/v1/audit/events?${query.toString()}`, fresh);
}

export function readAuditStream(
  streamId: string,
  fromVersion: number,
  limit: number,
): Promise<ApiResult<AuditStream>> {
  return queryApi<AuditStream>(
    `/api/v1/audit/streams/${enc(streamId)}?fromVersion=${fromVersion}&limit=${limit}`,
    fresh,
  );
}

export function readState(
  streamId: string,
  at: { readonly version: number } | { readonly asOf: string },
): Promise<ApiResult<AuditState>> {
  const query = 'version' in at ? `version=${at.version}` : `asOf=${enc(at.asOf)}`;
  return queryApi<AuditState>(`/api/v1/audit/streams/${enc(streamId)}/state?${query}`, fresh);
}

export function readDiff(streamId: string, from: number, to: number): Promise<ApiResult<StateDiff>> {
  return queryApi<StateDiff>(
    `/api/v1/audit/streams/${enc(streamId)}/state/diff?from=${from}&to=${to}`,
    fresh,
  );
}

export function readCorrelation(correlationId: string): Promise<ApiResult<CorrelationStory>> {
  return queryApi<CorrelationStory>(`/api/v1/audit/correlations/${enc(correlationId)}`, fresh);
}

export async function readIntegrity(): Promise<ApiResult<IntegrityStatus>> {
  const result = await queryApi<IntegrityStatus>('/api/v1/audit/integrity', fresh);
  if (!result.ok || !result.data.lastVerification) return result;
  const verification = result.data.lastVerification;
  return {
    ...result,
    data: {
      ...result.data,
      lastVerification: { ...verification, breaks: integrityBreaks(verification.breaks) },
    },
  };
}

/**
 * The projectors app, which owns checkpoints and verification because it already reads the whole log:
 * `TALLY_PROJECTORS_URL`; else, when the storefront runs beside the apps (embedded, or started with their
 * environment), their own `HOST` and `PROJECTORS_PORT`; else the default http://127.0.0.1:3003.
 */
export function projectorsUrl(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const explicit = env.TALLY_PROJECTORS_URL;
  if (explicit) return explicit.endsWith('/') ? explicit.slice(0, -1) : explicit;
  const port = env.PROJECTORS_PORT && /^\d{1,5}$/.test(env.PROJECTORS_PORT) ? env.PROJECTORS_PORT : '3003';
  return `http://${reachableHost(env.HOST)}:${port}`;
}

/** The address a server bound to `host` answers on from this machine (a wildcard bind: loopback). */
function reachableHost(host: string | undefined): string {
  if (!host || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** Signs a checkpoint over the log as it is now. */
export function signCheckpoint(): Promise<ApiResult<Checkpoint>> {
  return projectorsPost<Checkpoint>('/api/v1/audit/checkpoints');
}

/** What a verification run now reports, as the integrity page's notice needs it. */
export interface VerificationOutcome {
  readonly ok: boolean;
  readonly eventsChecked: number;
  readonly streamsChecked: number;
  readonly breaks: readonly IntegrityBreak[];
}

/** Recomputes every stream's hash chain and the checkpoints' roots now, and reports what it found. */
export async function verifyNow(): Promise<ApiResult<VerificationOutcome>> {
  const result = await projectorsPost<Readonly<Record<string, unknown>>>('/api/v1/audit/verifications');
  if (!result.ok) return result;
  const report = result.data;
  // `audit verify`'s report lists `streams` and `checkpoints`; the stored run lists `breaks`.
  const breaks = integrityBreaks('breaks' in report ? report.breaks : report);
  const count = (key: string) => (typeof report[key] === 'number' ? report[key] : 0);
  return {
    ...result,
    data: {
      ok: report.ok === true && breaks.length === 0,
      eventsChecked: count('eventsChecked'),
      streamsChecked: count('streamsChecked'),
      breaks,
    },
  };
}

/**
 * A POST to the projectors app with the auditor's own access token (the app checks the role). Nothing
 * throws for an HTTP failure: like lib/api.ts, the caller gets a problem to show.
 */
async function projectorsPost<T>(path: string): Promise<ApiResult<T>> {
  const jar = await cookies();
  const incoming = await headers();
  const requestHeaders: Record<string, string> = {
    accept: 'application/json',
    'x-correlation-id': incoming.get('x-correlation-id') ?? randomUUID(),
  };
  const accessToken = jar.get(ACCESS_COOKIE)?.value;
  if (accessToken) requestHeaders.authorization = `Bearer ${accessToken}`;
  let response: Response;
  try {
    response = await fetch(`${projectorsUrl()}${path}`, {
      method: 'POST',
      headers: requestHeaders,
      cache: 'no-store',
      redirect: 'manual',
      // Verifying a large log takes a while; a hung call must still end with a message.
      signal: AbortSignal.timeout(120_000),
    });
  } catch {
    return {
      ok: false,
      status: 503,
      problem: {
        status: 503,
        code: 'API_UNAVAILABLE',
        title: 'Service unavailable',
        detail: 'The integrity service is not reachable right now. Please try again in a moment.',
        errors: [],
      },
    };
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (a proxy's error page): the status alone makes the problem.
  }
  if (!response.ok) return { ok: false, status: response.status, problem: toProblem(response.status, json) };
  return {
    ok: true,
    status: response.status,
    data: json as T,
    consistency: undefined,
    etag: undefined,
    setCookies: [],
  };
}
