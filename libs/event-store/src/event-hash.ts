import { createHash } from 'node:crypto';
import type { JsonValue } from './event-store.port';

/**
 * The hash chain of the event log (docs/audit.md). Every event's `hash` is
 *
 *   SHA-256( UTF-8( previousHash "\n" streamId "\n" version "\n" type "\n"
 *                   canonical(data) "\n" canonical(metadata) "\n" recordedAt ) )
 *
 * as lowercase hex, where `previousHash` is the hash of the stream's previous event ({@link GENESIS_HASH}
 * for version 1), `version` is decimal, `recordedAt` is ISO-8601 UTC with milliseconds
 * (`2026-11-21T10:15:00.123Z`) and `canonical` is {@link canonicalJson}. Stream ids and event types hold
 * no control characters, and canonical JSON holds no raw line feed, so the input is unambiguous.
 *
 * The PostgreSQL store computes the same hash in SQL (`event_store_event_hash`) inside the append
 * statement; this module is the reference for everything that checks it outside the database (the
 * EventStoreDB adapter, exports verified offline) and a test proves the two agree.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields an event's hash covers. */
export interface HashedEventFields {
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
  readonly data: JsonValue;
  readonly metadata: JsonValue | object;
  /** ISO-8601 UTC with milliseconds, as `Date.prototype.toISOString` writes it. */
  readonly recordedAt: string;
}

/** The exact text an event's hash is taken over. */
export function eventHashInput(previousHash: string, event: HashedEventFields): string {
  return [
    previousHash,
    event.streamId,
    String(event.version),
    event.type,
    canonicalJson(event.data),
    canonicalJson(event.metadata as JsonValue),
    event.recordedAt,
  ].join('\n');
}

/** The event's hash (lowercase hex) given the hash of the event before it in its stream. */
export function computeEventHash(previousHash: string, event: HashedEventFields): string {
  return createHash('sha256').update(eventHashInput(previousHash, event), 'utf8').digest('hex');
}

/**
 * Canonical JSON, byte for byte what PostgreSQL's `jsonb` prints (`jsonb::text`), so that the database can
 * hash what it stores without a client's help:
 * - object keys sorted by UTF-8 byte length, then bytewise; the last of duplicate keys wins;
 * - `", "` between members and elements, `": "` between a key and its value; `{}` and `[]` when empty;
 * - strings escape `"` `\` and the control characters (`\b \f \n \r \t`, others as `\u00xx`); everything
 *   else, including non-ASCII, is written as itself;
 * - numbers in plain decimal notation, never exponent notation (`1e-7` is `0.0000001`, `1e21` is
 *   `1000000000000000000000`); `-0` is `0`.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return canonicalNumber(value);
    case 'string':
      return canonicalString(value);
    default:
      break;
  }
  if (Array.isArray(value)) {
    return value.length === 0 ? '[]' : `[${value.map((item) => canonicalJson(item)).join(', ')}]`;
  }
  const entries = Object.entries(value as Record<string, JsonValue | undefined>).filter(
    ([, member]) => member !== undefined,
  );
  if (entries.length === 0) return '{}';
  const keyed = entries.map(([key, member]) => ({
    key,
    bytes: Buffer.from(key, 'utf8'),
    member: member as JsonValue,
  }));
  keyed.sort((a, b) => a.bytes.length - b.bytes.length || Buffer.compare(a.bytes, b.bytes));
  return `{${keyed.map(({ key, member }) => `${canonicalString(key)}: ${canonicalJson(member)}`).join(', ')}}`;
}

function canonicalString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const char = text.charAt(i);
    if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += '\\\\';
    else if (code >= 0x20) out += char;
    else if (code === 0x08) out += '\\b';
    else if (code === 0x0c) out += '\\f';
    else if (code === 0x0a) out += '\\n';
    else if (code === 0x0d) out += '\\r';
    else if (code === 0x09) out += '\\t';
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/** JavaScript's shortest round-trip digits, written out without an exponent (as PostgreSQL's numeric does). */
function canonicalNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`JSON has no ${value}`);
  if (Object.is(value, -0) || value === 0) return '0';
  const text = String(value);
  const exponentAt = text.indexOf('e');
  if (exponentAt < 0) return text;
  const negative = text.startsWith('-');
  const mantissa = text.slice(negative ? 1 : 0, exponentAt);
  const exponent = Number(text.slice(exponentAt + 1));
  const point = mantissa.indexOf('.');
  const digits = point < 0 ? mantissa : mantissa.slice(0, point) + mantissa.slice(point + 1);
  const integerDigits = (point < 0 ? mantissa.length : point) + exponent;
  let plain: string;
  if (integerDigits <= 0) plain = `0.${'0'.repeat(-integerDigits)}${digits}`;
  else if (integerDigits >= digits.length) plain = digits + '0'.repeat(integerDigits - digits.length);
  else plain = `${digits.slice(0, integerDigits)}.${digits.slice(integerDigits)}`;
  return negative ? `-${plain}` : plain;
}
