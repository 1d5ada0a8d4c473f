import type { IncomingHttpHeaders } from 'node:http';
import { parseRequest } from '@tally/platform';
import { z } from 'zod';

/** Largest stream version an `If-Match` may name; Postgres stores versions as `integer`. */
const MAX_VERSION = 2_147_483_647;

/**
 * `If-Match: "<version>"`: the one strong entity tag the client last saw. Weak tags (`W/"3"`), lists and `*`
 * are rejected: the write side compares versions exactly (RFC 9110 strong comparison).
 */
export const ifMatchHeader = z
  .string()
  .trim()
  .transform((value, ctx) => {
    if (value.startsWith('W/')) {
      ctx.addIssue({ code: 'custom', message: 'weak entity tags cannot be used as a precondition' });
      return z.NEVER;
    }
    const match = /^"(0|[1-9]\d{0,9})"$/.exec(value);
    const version = match ? Number(match[1]) : Number.NaN;
    if (!(version >= 0 && version <= MAX_VERSION)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be one strong entity tag: a quoted stream version like "3"',
      });
      return z.NEVER;
    }
    return version;
  })
  .meta({
    description:
      'The ETag of the version the change is based on, e.g. `"3"`. A different current version is a 412.',
    example: '"3"',
  });

/** `Idempotency-Key`: 1 to 255 visible ASCII characters chosen by the client, e.g. a UUID. */
export const idempotencyKeyHeader = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters')
  .meta({
    description:
      'Makes a retry safe: the same key with the same request returns the first result for 24 h; with another request it is a 422.',
    example: '01939c5e-7e4b-7c3a-9d1e-3f5a2b8c4d6e',
  });

/** `Tally-Consistency`: a token from an earlier response; see DESIGN.md §6. Checkpoints are `<20 digits>.<20 digits>`. */
export const consistencyTokenHeader = z
  .string()
  .regex(/^\d{20}\.\d{20}$/, 'must be a Tally-Consistency token from an earlier response')
  .meta({
    description:
      'A token from an earlier response: the read models this command consults are first brought up to it.',
    example: '00000000000000000754.00000000000000000042',
  });

const commandHeaders = z.object({
  'If-Match': ifMatchHeader.optional(),
  'Idempotency-Key': idempotencyKeyHeader.optional(),
  'Tally-Consistency': consistencyTokenHeader.optional(),
});

/** What the write side reads from a request's headers. */
export interface CommandHeaders {
  /** The stream version the client based the change on (`If-Match`). */
  readonly expectedVersion: number | undefined;
  readonly idempotencyKey: string | undefined;
  readonly consistencyToken: string | undefined;
}

/** Parses the command headers, or throws a 400 naming each bad one (`header.If-Match`, ...). */
export function parseCommandHeaders(headers: IncomingHttpHeaders): CommandHeaders {
  const parsed = parseRequest(
    commandHeaders,
    {
      'If-Match': present(headers['if-match']),
      'Idempotency-Key': present(headers['idempotency-key']),
      'Tally-Consistency': present(headers['tally-consistency']),
    },
    'header',
  );
  return {
    expectedVersion: parsed['If-Match'],
    idempotencyKey: parsed['Idempotency-Key'],
    consistencyToken: parsed['Tally-Consistency'],
  };
}

/** The entity tag of a stream version: strong, quoted. */
export function etag(version: number): string {
  return `"${version}"`;
}

// An empty header is treated as absent; a repeated one arrives joined with ", " and fails its pattern.
function present(value: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(value) ? value.join(', ') : value;
  return joined === undefined || joined === '' ? undefined : joined;
}
