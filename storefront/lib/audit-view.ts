/**
 * How the auditor pages show what query-api and the projectors app return: short hashes, aggregate labels,
 * JSON, and verification breaks in one shape. Pure functions, so they have unit tests.
 */

/**
 * One thing a verification found broken: the first broken link of a stream (`altered`, `missing`,
 * `reordered`) or a checkpoint the log no longer matches (`signature`, `count`, `root`).
 */
export interface IntegrityBreak {
  readonly streamId?: string;
  readonly version?: number;
  /** The checkpoint's sequence, for a checkpoint break. */
  readonly sequence?: number;
  readonly kind: string;
  readonly message: string;
}

/** The first characters of a hash, enough to tell two apart by eye. */
export function hashPrefix(hash: string | null | undefined, length = 12): string {
  return hash ? hash.slice(0, length) : '—';
}

/** The aggregate of a stream id, as a label: `order-…` -> `Order`, `stock-…` -> `Stock`. */
export function aggregateLabel(streamId: string): string {
  const aggregate = streamId.slice(0, Math.max(0, streamId.indexOf('-'))) || streamId;
  return aggregate.charAt(0).toUpperCase() + aggregate.slice(1);
}

/** A JSON value as the pages print it: indented, keys in the order the API sent them. */
export function prettyJson(value: unknown): string {
  // `undefined` (an absent value) has no JSON text; everything the APIs send is JSON.
  return value === undefined ? 'undefined' : JSON.stringify(value, null, 2);
}

/**
 * Breaks as a flat list, whichever way they were stored: a list already, or `{ streams, checkpoints }` as
 * `audit verify` reports them. Anything unrecognisable still counts as a break (shown as "unknown"), so a
 * broken log can never be displayed as a verified one.
 */
export function integrityBreaks(raw: unknown): IntegrityBreak[] {
  const list = Array.isArray(raw)
    ? raw
    : typeof raw === 'object' && raw !== null
      ? ['streams', 'checkpoints'].flatMap((key) => {
          const value = (raw as Record<string, unknown>)[key];
          return Array.isArray(value) ? (value as unknown[]) : [];
        })
      : [];
  return list.map((item): IntegrityBreak => {
    const record = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
    const text = (key: string) => (typeof record[key] === 'string' ? record[key] : undefined);
    const number = (key: string) => (typeof record[key] === 'number' ? record[key] : undefined);
    const streamId = text('streamId');
    const version = number('version');
    const sequence = number('sequence');
    return {
      ...(streamId === undefined ? {} : { streamId }),
      ...(version === undefined ? {} : { version }),
      ...(sequence === undefined ? {} : { sequence }),
      kind: text('kind') ?? 'unknown',
      message: text('message') ?? text('detail') ?? JSON.stringify(item),
    };
  });
}
