import { createHash } from 'node:crypto';
import { deterministicCommandId as commandIdFor } from '@tally/messaging';

/** What makes two requests "the same request" for an `Idempotency-Key`. */
export interface RequestIdentity {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly body: unknown;
  /** The precondition is part of the request: the same change based on another version is another request. */
  readonly ifMatch: number | undefined;
}

/** SHA-256 over the request's identity, with object keys sorted so that key order does not matter. */
export function requestFingerprint(request: RequestIdentity): string {
  const canonical = canonicalJson([
    request.method.toUpperCase(),
    request.url,
    request.body ?? null,
    request.ifMatch ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * The command id of a request sent with an `Idempotency-Key`: derived from the actor, the key and the
 * request, so that a retry that reaches the handler again (after a crash between append and recording the
 * result) carries the same id and the handler recognises its events. Laid out as a UUID version 8
 * (RFC 9562, custom) by `@tally/messaging`, like every derived id.
 */
export function deterministicCommandId(scope: string, key: string, fingerprint: string): string {
  // The scope (an actor id) is encoded, and the fingerprint is hex, so `key/fingerprint` reads one way only.
  return commandIdFor(`idempotency-${encodeURIComponent(scope)}`, `${key}/${fingerprint}`);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
