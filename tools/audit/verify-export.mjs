#!/usr/bin/env node
/**
 * Offline verifier of a Tally audit export (`npm run tally -- audit export`), for third parties.
 *
 *   node verify-export.mjs <export.jsonl|export.csv> [--public-key <base64>]
 *
 * Standalone on purpose: Node.js 20 or later and this one file, no packages and nothing from Tally, so an
 * auditor can read every line of what decides the verdict. It checks (docs/audit.md, "Verifying an export
 * offline"):
 *
 * 1. the checkpoint's Ed25519 signature over its message, its key id, and (with `--public-key`) that it was
 *    signed by the pinned key;
 * 2. every event's hash, recomputed from its previous hash and its content;
 * 3. the hash chain of every exported stream segment: consecutive versions, each naming the hash of the one
 *    before it (version 1 names 64 zeros);
 * 4. every event's RFC 6962 inclusion proof against the checkpoint's root.
 *
 * It prints a summary and exits 0 when everything holds, 1 naming the line, stream, version and check of
 * every failure, 2 on bad usage.
 */
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { createReadStream, realpathSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const EXPORT_FORMAT = 'tally-audit-export/v1';
export const GENESIS_HASH = '0'.repeat(64);
export const CSV_COLUMNS = [
  'record',
  'leaf_index',
  'position',
  'event_id',
  'stream_id',
  'version',
  'type',
  'recorded_at',
  'data',
  'metadata',
  'previous_hash',
  'hash',
  'proof',
];

const HEX_HASH = /^[0-9a-f]{64}$/;
// Beyond this many failures only the count grows: a wholesale edit should not print a million lines.
const MAX_REPORTED_FAILURES = 100;

// ---------------------------------------------------------------------------------------------------------
// JSON with exact numbers. JavaScript's JSON.parse rounds numbers to doubles, but PostgreSQL's jsonb keeps
// them exact (12345678901234567890, 1.50), and the hash covers jsonb's text. So numbers are kept as their
// literal text and written out the way PostgreSQL's `numeric` prints them.
// ---------------------------------------------------------------------------------------------------------

/** A JSON number, kept as written. */
export class JsonNumber {
  constructor(literal) {
    this.literal = literal;
  }
  toString() {
    return this.literal;
  }
}

/** A JSON object: its members in file order (a later duplicate key replaces an earlier one, as in jsonb). */
export class JsonObject {
  constructor() {
    this.members = new Map();
  }
  get(key) {
    return this.members.get(key);
  }
}

/** Parses strict JSON (RFC 8259) into null, booleans, strings, arrays, {@link JsonObject} and {@link JsonNumber}. */
export function parseJson(text) {
  let at = 0;
  const fail = (what) => {
    throw new SyntaxError(`invalid JSON at character ${at + 1}: ${what}`);
  };
  const space = () => {
    while (at < text.length) {
      const c = text.charCodeAt(at);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) at++;
      else break;
    }
  };
  const string = () => {
    at++; // opening quote
    let out = '';
    for (;;) {
      if (at >= text.length) fail('unterminated string');
      const c = text.charCodeAt(at);
      if (c === 0x22) {
        at++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        const end = nextSpecial(text, at);
        out += text.slice(at, end);
        at = end;
        continue;
      }
      const e = text.charAt(at + 1);
      at += 2;
      if (e === '"') out += '"';
      else if (e === '\\') out += '\\';
      else if (e === '/') out += '/';
      else if (e === 'b') out += '\b';
      else if (e === 'f') out += '\f';
      else if (e === 'n') out += '\n';
      else if (e === 'r') out += '\r';
      else if (e === 't') out += '\t';
      else if (e === 'u') {
        const hex = text.slice(at, at + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        at += 4;
      } else fail('bad escape');
    }
  };
  const value = (depth) => {
    if (depth > 1000) fail('nested too deeply');
    space();
    const c = text.charAt(at);
    if (c === '{') {
      at++;
      const object = new JsonObject();
      space();
      if (text.charAt(at) === '}') {
        at++;
        return object;
      }
      for (;;) {
        space();
        if (text.charAt(at) !== '"') fail('expected a key');
        const key = string();
        space();
        if (text.charAt(at) !== ':') fail('expected ":"');
        at++;
        object.members.delete(key);
        object.members.set(key, value(depth + 1));
        space();
        const next = text.charAt(at++);
        if (next === '}') return object;
        if (next !== ',') fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      at++;
      const array = [];
      space();
      if (text.charAt(at) === ']') {
        at++;
        return array;
      }
      for (;;) {
        array.push(value(depth + 1));
        space();
        const next = text.charAt(at++);
        if (next === ']') return array;
        if (next !== ',') fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', at)) {
      at += 4;
      return true;
    }
    if (text.startsWith('false', at)) {
      at += 5;
      return false;
    }
    if (text.startsWith('null', at)) {
      at += 4;
      return null;
    }
    const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    number.lastIndex = at;
    const match = number.exec(text);
    if (!match) fail('unexpected character');
    at += match[0].length;
    return new JsonNumber(match[0]);
  };
  const result = value(0);
  space();
  if (at !== text.length) fail('trailing characters');
  return result;
}

function nextSpecial(text, from) {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c < 0x20) break;
    i++;
  }
  return i;
}

/**
 * Canonical JSON, byte for byte what PostgreSQL prints for a jsonb value (`jsonb::text`):
 * - object keys sorted by their UTF-8 length, then bytewise; the last of duplicate keys wins;
 * - ", " between members and elements, ": " after a key; {} and [] when empty;
 * - strings escape `"`, `\` and control characters (\b \f \n \r \t, others \u00xx), nothing else;
 * - numbers in plain decimal notation as PostgreSQL's numeric prints them (see {@link canonicalNumber}).
 * Accepts what {@link parseJson} returns, and plain JavaScript values.
 */
export function canonicalJson(value) {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return canonicalString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`JSON has no ${value}`);
    return canonicalNumber(String(value));
  }
  if (value instanceof JsonNumber) return canonicalNumber(value.literal);
  if (Array.isArray(value)) {
    return value.length === 0 ? '[]' : `[${value.map(canonicalJson).join(', ')}]`;
  }
  const entries =
    value instanceof JsonObject
      ? [...value.members]
      : Object.entries(value).filter(([, member]) => member !== undefined);
  if (entries.length === 0) return '{}';
  const keyed = entries.map(([key, member]) => ({ key, bytes: Buffer.from(key, 'utf8'), member }));
  keyed.sort((a, b) => a.bytes.length - b.bytes.length || Buffer.compare(a.bytes, b.bytes));
  return `{${keyed.map(({ key, member }) => `${canonicalString(key)}: ${canonicalJson(member)}`).join(', ')}}`;
}

function canonicalString(text) {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += '\\\\';
    else if (code >= 0x20) out += text.charAt(i);
    else if (code === 0x08) out += '\\b';
    else if (code === 0x0c) out += '\\f';
    else if (code === 0x0a) out += '\\n';
    else if (code === 0x0d) out += '\\r';
    else if (code === 0x09) out += '\\t';
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/**
 * A JSON number literal as PostgreSQL's numeric prints it: no exponent, no leading zeros, as many
 * fractional digits as the literal implies (`1.50` stays `1.50`, `1.5e-7` is `0.00000015`, `1e21` is
 * `1000000000000000000000`), and no sign on zero.
 */
export function canonicalNumber(literal) {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!match) throw new SyntaxError(`not a JSON number: ${literal}`);
  const [, sign, integer, fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText);
  // PostgreSQL's numeric stops far below this; refusing keeps a hostile file from exhausting memory.
  if (Math.abs(exponent) > 200_000) throw new RangeError(`number out of range: ${literal}`);
  const digits = integer + fraction;
  const scale = fraction.length - exponent; // digits after the decimal point in `digits`
  let whole;
  let decimals;
  if (scale <= 0) {
    whole = digits + '0'.repeat(-scale);
    decimals = '';
  } else if (scale >= digits.length) {
    whole = '0';
    decimals = '0'.repeat(scale - digits.length) + digits;
  } else {
    whole = digits.slice(0, digits.length - scale);
    decimals = digits.slice(digits.length - scale);
  }
  whole = whole.replace(/^0+(?=\d)/, '');
  const text = decimals ? `${whole}.${decimals}` : whole;
  return sign && /[1-9]/.test(text) ? `-${text}` : text;
}

// ---------------------------------------------------------------------------------------------------------
// Hashes, Merkle proofs and signatures.
// ---------------------------------------------------------------------------------------------------------

/**
 * An event's hash: SHA-256 over the UTF-8 bytes of previousHash, streamId, version, type, canonical data,
 * canonical metadata and recordedAt, joined by line feeds, as lowercase hex.
 */
export function eventHash(previousHash, event) {
  const input = [
    previousHash,
    event.streamId,
    String(event.version),
    event.type,
    canonicalJson(event.data),
    canonicalJson(event.metadata),
    event.recordedAt,
  ].join('\n');
  return createHash('sha256').update(input, 'utf8').digest('hex');
}

const sha256 = (...parts) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
/** RFC 6962: leaf hash = SHA-256(0x00 || event hash); node hash = SHA-256(0x01 || left || right). */
export const leafHash = (eventHashBytes) => sha256(Buffer.from([0]), eventHashBytes);
export const nodeHash = (left, right) => sha256(Buffer.from([1]), left, right);

/** RFC 9162 §2.1.3.2: does `proof` lead from leaf `index` (of `size`) holding `eventHashBytes` to `root`? */
export function verifyInclusion(eventHashBytes, index, size, proof, root) {
  if (!(index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let hash = leafHash(eventHashBytes);
  for (const sibling of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && hash.equals(root);
}

/** The bytes a checkpoint's signature covers (UTF-8 of these lines joined by line feeds, no final one). */
export function checkpointMessage(checkpoint) {
  return [
    'tally-checkpoint/v1',
    String(checkpoint.sequence),
    checkpoint.upTo,
    String(checkpoint.leafCount),
    checkpoint.root,
    checkpoint.createdAt,
  ].join('\n');
}

/** A key id: the first 16 hex digits of SHA-256 over the raw 32-byte Ed25519 public key. */
export function keyIdOf(rawPublicKey) {
  return createHash('sha256').update(rawPublicKey).digest('hex').slice(0, 16);
}

function ed25519Verify(rawPublicKey, message, signature) {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: rawPublicKey.toString('base64url') },
    format: 'jwk',
  });
  return verifySignature(null, Buffer.from(message, 'utf8'), key, signature);
}

// ---------------------------------------------------------------------------------------------------------
// The verifier: fed one physical line at a time, so that exports larger than memory verify too.
// ---------------------------------------------------------------------------------------------------------

/**
 * Creates a verifier. `push(line)` each line of the file (without its line break), then `end()` for the
 * result: `{ ok, format, checkpoint, events, streams, failures: [{ line, streamId?, version?, message }],
 * failureCount, pinned }`.
 */
export function createExportVerifier(options = {}) {
  const pinnedKey = options.publicKey === undefined ? undefined : decodePublicKey(options.publicKey);
  const failures = [];
  let failureCount = 0;
  let lineNumber = 0;
  let format; // 'jsonl' | 'csv'
  let checkpoint; // the validated checkpoint, or undefined when line 1 was unusable
  let root;
  let events = 0;
  let lastLeafIndex = -1;
  const streams = new Map(); // streamId -> { version, hash } of the last exported event
  let pendingRecord; // a CSV record spread over several lines (a quoted field holding a line break)

  const fail = (line, message, event) => {
    failureCount++;
    if (failures.length < MAX_REPORTED_FAILURES) {
      failures.push({
        line,
        ...(typeof event?.streamId === 'string' ? { streamId: event.streamId } : {}),
        ...(Number.isInteger(event?.version) ? { version: event.version } : {}),
        message,
      });
    }
  };

  const readHeader = (line, header) => {
    if (!(header instanceof JsonObject)) return fail(line, 'the header is not a JSON object');
    const plain = toPlain(header);
    if (plain.format !== EXPORT_FORMAT) {
      return fail(line, `unknown export format ${JSON.stringify(plain.format)} (expected ${EXPORT_FORMAT})`);
    }
    if (plain.hash !== 'sha256' || plain.canonicalJson !== 'postgresql-jsonb-text') {
      return fail(line, 'the header names a hash or canonical JSON this verifier does not implement');
    }
    const c = plain.checkpoint ?? {};
    const problems = [];
    if (!Number.isInteger(c.sequence) || c.sequence < 1) problems.push('sequence');
    if (typeof c.upTo !== 'string') problems.push('upTo');
    if (!Number.isInteger(c.leafCount) || c.leafCount < 0) problems.push('leafCount');
    if (typeof c.root !== 'string' || !HEX_HASH.test(c.root)) problems.push('root');
    if (typeof c.createdAt !== 'string') problems.push('createdAt');
    if (typeof c.keyId !== 'string') problems.push('keyId');
    if (typeof c.publicKey !== 'string') problems.push('publicKey');
    if (typeof c.signature !== 'string') problems.push('signature');
    if (problems.length > 0) return fail(line, `checkpoint: missing or malformed ${problems.join(', ')}`);
    checkpoint = c;
    root = Buffer.from(c.root, 'hex');
    const publicKey = Buffer.from(c.publicKey, 'base64');
    if (publicKey.length !== 32) return fail(line, 'checkpoint: publicKey is not a 32-byte Ed25519 key');
    if (keyIdOf(publicKey) !== c.keyId) {
      fail(line, `checkpoint: keyId ${c.keyId} does not belong to its publicKey (${keyIdOf(publicKey)})`);
    }
    if (pinnedKey && !pinnedKey.equals(publicKey)) {
      fail(
        line,
        `checkpoint #${c.sequence} is signed by key ${keyIdOf(publicKey)}, not by the pinned key ${keyIdOf(pinnedKey)}`,
      );
    }
    let valid;
    try {
      valid = ed25519Verify(publicKey, checkpointMessage(c), Buffer.from(c.signature, 'base64'));
    } catch {
      valid = false;
    }
    if (!valid) {
      fail(
        line,
        `checkpoint #${c.sequence}: the Ed25519 signature does not verify (checkpoint edited or forged)`,
      );
    }
  };

  const readEvent = (line, event) => {
    if (!checkpoint) return fail(line, 'event without a usable checkpoint: not verified');
    const problems = [];
    if (!Number.isInteger(event.leafIndex) || event.leafIndex < 0) problems.push('leafIndex');
    if (typeof event.streamId !== 'string' || event.streamId === '') problems.push('streamId');
    if (!Number.isInteger(event.version) || event.version < 1) problems.push('version');
    if (typeof event.type !== 'string') problems.push('type');
    if (typeof event.recordedAt !== 'string') problems.push('recordedAt');
    if (event.data === undefined) problems.push('data');
    if (event.metadata === undefined) problems.push('metadata');
    if (typeof event.previousHash !== 'string' || !HEX_HASH.test(event.previousHash))
      problems.push('previousHash');
    if (typeof event.hash !== 'string' || !HEX_HASH.test(event.hash)) problems.push('hash');
    if (!Array.isArray(event.proof) || !event.proof.every((p) => typeof p === 'string' && HEX_HASH.test(p)))
      problems.push('proof');
    if (problems.length > 0) return fail(line, `missing or malformed ${problems.join(', ')}`, event);
    events++;

    // 2. The event's own hash.
    let computed;
    try {
      computed = eventHash(event.previousHash, event);
    } catch (error) {
      return fail(line, `content cannot be hashed: ${error.message}`, event);
    }
    if (computed !== event.hash) {
      fail(line, `altered: the content and previousHash hash to ${computed}, not to the stated hash`, event);
    }

    // 3. The chain within the exported segment of its stream.
    const previous = streams.get(event.streamId);
    if (event.version === 1 && event.previousHash !== GENESIS_HASH) {
      fail(line, 'chain: version 1 must name the genesis hash (64 zeros) as previousHash', event);
    }
    if (previous) {
      if (event.version <= previous.version) {
        fail(
          line,
          `chain: version ${event.version} follows version ${previous.version} (out of order or repeated)`,
          event,
        );
      } else if (event.version !== previous.version + 1) {
        const missing =
          event.version === previous.version + 2
            ? `version ${previous.version + 1} is`
            : `versions ${previous.version + 1}..${event.version - 1} are`;
        fail(
          line,
          `chain gap: ${missing} missing between the exported versions ${previous.version} and ${event.version}`,
          event,
        );
      } else if (event.previousHash !== previous.hash) {
        fail(line, `chain: previousHash is not the hash of version ${previous.version}`, event);
      }
    }
    streams.set(event.streamId, { version: event.version, hash: event.hash });

    // 4. Inclusion in the signed tree, at its place in the global log.
    if (event.leafIndex <= lastLeafIndex) {
      fail(
        line,
        `leafIndex ${event.leafIndex} does not follow ${lastLeafIndex}: events out of log order`,
        event,
      );
    }
    lastLeafIndex = Math.max(lastLeafIndex, event.leafIndex);
    if (event.leafIndex >= checkpoint.leafCount) {
      fail(
        line,
        `leafIndex ${event.leafIndex} lies outside checkpoint #${checkpoint.sequence} (${checkpoint.leafCount} leaves)`,
        event,
      );
    } else if (
      !verifyInclusion(
        Buffer.from(event.hash, 'hex'),
        event.leafIndex,
        checkpoint.leafCount,
        event.proof.map((p) => Buffer.from(p, 'hex')),
        root,
      )
    ) {
      fail(line, `inclusion proof does not lead to the root of checkpoint #${checkpoint.sequence}`, event);
    }
  };

  const jsonlLine = (line, text) => {
    let parsed;
    try {
      parsed = parseJson(text);
    } catch (error) {
      return fail(line, `not JSON: ${error.message}`);
    }
    if (line === 1) return readHeader(line, parsed);
    if (!(parsed instanceof JsonObject)) return fail(line, 'not a JSON object');
    const event = toPlain(parsed, new Set(['data', 'metadata']));
    readEvent(line, event);
  };

  const csvRecord = (line, fields) => {
    if (line === 1) {
      if (fields.join(',') !== CSV_COLUMNS.join(','))
        fail(line, `the CSV header is not: ${CSV_COLUMNS.join(',')}`);
      return;
    }
    if (fields.length !== CSV_COLUMNS.length) {
      return fail(line, `${fields.length} fields instead of ${CSV_COLUMNS.length}`);
    }
    const row = Object.fromEntries(CSV_COLUMNS.map((column, i) => [column, fields[i]]));
    if (row.record === 'checkpoint') {
      if (checkpoint || events > 0) return fail(line, 'a second checkpoint record');
      let parsed;
      try {
        parsed = parseJson(row.data);
      } catch (error) {
        return fail(line, `checkpoint data is not JSON: ${error.message}`);
      }
      return readHeader(line, parsed);
    }
    if (row.record !== 'event') return fail(line, `unknown record kind ${JSON.stringify(row.record)}`);
    const event = {
      leafIndex: decimal(row.leaf_index),
      position: row.position,
      eventId: row.event_id,
      streamId: row.stream_id,
      version: decimal(row.version),
      type: row.type,
      recordedAt: row.recorded_at,
      previousHash: row.previous_hash,
      hash: row.hash,
      proof: row.proof === '' ? [] : row.proof.split(';'),
    };
    try {
      event.data = parseJson(row.data);
      event.metadata = parseJson(row.metadata);
    } catch (error) {
      return fail(line, `data or metadata is not JSON: ${error.message}`, event);
    }
    readEvent(line, event);
  };

  return {
    push(text) {
      lineNumber++;
      if (format === undefined) format = text.startsWith('record,') ? 'csv' : 'jsonl';
      if (format === 'jsonl') {
        if (text.trim() === '') return fail(lineNumber, 'empty line');
        return jsonlLine(lineNumber, text);
      }
      const record = pendingRecord
        ? { line: pendingRecord.line, text: `${pendingRecord.text}\n${text}` }
        : { line: lineNumber, text };
      const fields = parseCsvRecord(record.text);
      if (fields === undefined) {
        pendingRecord = record; // an open quote: the record continues on the next line
        return;
      }
      pendingRecord = undefined;
      if (fields instanceof Error) return fail(record.line, fields.message);
      csvRecord(record.line, fields);
    },
    end() {
      if (pendingRecord) fail(pendingRecord.line, 'unterminated quoted field');
      if (lineNumber === 0) fail(1, 'the file is empty');
      else if (!checkpoint && failureCount === 0) fail(1, 'no checkpoint');
      return {
        ok: failureCount === 0,
        format: format ?? 'jsonl',
        checkpoint,
        events,
        streams: streams.size,
        pinned: pinnedKey !== undefined,
        failures,
        failureCount,
      };
    },
  };
}

/** Verifies a whole export held in memory (see {@link createExportVerifier} for the result). */
export function verifyExport(text, options = {}) {
  const verifier = createExportVerifier(options);
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) verifier.push(line);
  return verifier.end();
}

/** The report printed for a result: one line per failure, then a summary. */
export function formatReport(result) {
  const out = [];
  for (const f of result.failures) {
    const where = [`line ${f.line}`];
    if (f.streamId !== undefined) where.push(`stream ${f.streamId}`);
    if (f.version !== undefined) where.push(`version ${f.version}`);
    out.push(`FAIL ${where.join(', ')}: ${f.message}`);
  }
  if (result.failureCount > result.failures.length) {
    out.push(`… and ${result.failureCount - result.failures.length} more failures`);
  }
  const c = result.checkpoint;
  const covered = c
    ? `checkpoint #${c.sequence} (${c.leafCount} events up to ${c.upTo || 'the start'}, root ${c.root}, created ${c.createdAt}, key id ${c.keyId})`
    : 'no usable checkpoint';
  if (result.ok) {
    out.push(`OK: ${result.events} events in ${result.streams} streams verified against ${covered}.`);
    if (!result.pinned) {
      out.push(
        `Note: no --public-key given; the signature only proves the file is consistent with key id ${c.keyId}. ` +
          'Compare that key with the one the operator published.',
      );
    }
  } else {
    out.push(`FAILED: ${result.failureCount} problems in ${result.events} events (${covered}).`);
  }
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------------------

function decodePublicKey(text) {
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')) {
    throw new UsageError(`--public-key must be a raw 32-byte Ed25519 public key in base64: ${text}`);
  }
  return key;
}

/** Converts a parsed value to plain JavaScript, except the members named in `keep` (left as parsed). */
function toPlain(value, keep = new Set()) {
  if (value instanceof JsonNumber) return Number(value.literal);
  if (Array.isArray(value)) return value.map((item) => toPlain(item));
  if (value instanceof JsonObject) {
    const out = {};
    for (const [key, member] of value.members) out[key] = keep.has(key) ? member : toPlain(member);
    return out;
  }
  return value;
}

function decimal(text) {
  return /^(0|[1-9]\d*)$/.test(text) ? Number(text) : Number.NaN;
}

/**
 * One RFC 4180 record: its fields, `undefined` when a quoted field is still open at the end (the record
 * continues on the next line), or an Error when the quoting is broken.
 */
export function parseCsvRecord(text) {
  const fields = [];
  let at = 0;
  for (;;) {
    if (text.charAt(at) === '"') {
      let value = '';
      at++;
      for (;;) {
        const quote = text.indexOf('"', at);
        if (quote < 0) return undefined;
        value += text.slice(at, quote);
        if (text.charAt(quote + 1) === '"') {
          value += '"';
          at = quote + 2;
          continue;
        }
        at = quote + 1;
        break;
      }
      fields.push(value);
      if (at === text.length) return fields;
      if (text.charAt(at) !== ',') return new Error('CSV: text after a closing quote');
      at++;
    } else {
      const comma = text.indexOf(',', at);
      const value = comma < 0 ? text.slice(at) : text.slice(at, comma);
      if (value.includes('"')) return new Error('CSV: a quote inside an unquoted field');
      fields.push(value);
      if (comma < 0) return fields;
      at = comma + 1;
    }
  }
}

class UsageError extends Error {}

/** True when Node runs this file as its main script (rather than another module importing it). */
function invokedDirectly() {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

async function main(argv) {
  let file;
  let publicKey;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--public-key') publicKey = argv[++i];
    else if (arg.startsWith('--public-key=')) publicKey = arg.slice('--public-key='.length);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('Usage: node verify-export.mjs <export file> [--public-key <base64>]\n');
      return 0;
    } else if (arg.startsWith('--')) throw new UsageError(`unknown flag ${arg}`);
    else if (file === undefined) file = arg;
    else throw new UsageError(`unexpected argument ${arg}`);
  }
  if (file === undefined) throw new UsageError('the export file is required');
  if (publicKey === undefined && argv.includes('--public-key'))
    throw new UsageError('--public-key needs a value');
  const verifier = createExportVerifier(publicKey === undefined ? {} : { publicKey });
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) verifier.push(line);
  const result = verifier.end();
  process.stdout.write(formatReport(result));
  return result.ok ? 0 : 1;
}

if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`${error.message}\n`);
      if (error instanceof UsageError) {
        process.stderr.write('Usage: node verify-export.mjs <export file> [--public-key <base64>]\n');
        process.exitCode = 2;
      } else process.exitCode = 1;
    },
  );
}
