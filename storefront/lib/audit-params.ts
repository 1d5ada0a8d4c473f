/**
 * What the auditor pages read from their URLs, checked before anything is sent to query-api: a bad value
 * becomes a message naming the field (shown next to it), never a request the API would refuse with a 400
 * or, worse, a page that silently shows something else. Pure functions, so they have unit tests.
 */

/** Search params as Next hands them to a page. */
export type SearchParams = Readonly<Record<string, string | string[] | undefined>>;

/** A field the auditor got wrong: the input's name and a sentence that names it. */
export interface BadField {
  readonly field: string;
  readonly message: string;
}

/** One search-params value (the first when repeated), trimmed; undefined when absent or blank. */
export function one(params: SearchParams, name: string): string | undefined {
  const raw = params[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value === '' ? undefined : value;
}

/** `<aggregate>-<id>` (DESIGN.md §3): `order-<uuid>`, `product-<sku>`, `stock-<sku>`. */
const STREAM_ID = /^[a-z][a-z0-9]*-[A-Za-z0-9._:-]+$/;
const EVENT_TYPE = /^[A-Z][A-Za-z0-9]{0,99}$/;
/** Actor ids are UUIDs in Tally, but system actors and external ones need only be plain tokens. */
const TOKEN = /^[A-Za-z0-9._:-]{1,200}$/;
/** As requests carry it (`X-Correlation-Id`): a UUID or up to 100 word characters. */
const CORRELATION_ID = /^[\w.:-]{1,100}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isStreamId(value: string): boolean {
  return value.length <= 200 && STREAM_ID.test(value);
}

export function isCorrelationId(value: string): boolean {
  return CORRELATION_ID.test(value);
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * A moment the auditor typed or picked: a full ISO 8601 time, or what `<input type="datetime-local">`
 * sends (`2026-03-01T09:30`, seconds optional), read as UTC like every time these pages show. Returns the
 * ISO string, or undefined when it is not a real moment.
 */
export function parseMoment(value: string): string | undefined {
  const local = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value);
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value);
  if (!local && !zoned) return undefined;
  const date = new Date(local ? `${value}Z` : value);
  if (Number.isNaN(date.getTime())) return undefined;
  // Some engines roll 30 February over to 2 March; an auditor who typed it meant no such day.
  if (local && date.toISOString().slice(0, 16) !== value.slice(0, 16)) return undefined;
  return date.toISOString();
}

/** `2026-03-01T09:30:00.000Z` as a `datetime-local` input shows it back (`2026-03-01T09:30:00`). */
export function momentInput(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(0, 19);
}

/** A whole number in [min, max] from text; undefined otherwise. */
export function wholeNumber(value: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (!/^\d{1,15}$/.test(value)) return undefined;
  const number = Number(value);
  return number >= min && number <= max ? number : undefined;
}

/** The event search's filters as the URL carries them (and the form shows them back). */
export interface EventFilters {
  readonly type?: string;
  readonly actor?: string;
  readonly correlationId?: string;
  readonly streamId?: string;
  /** ISO, inclusive. */
  readonly from?: string;
  /** ISO, inclusive. */
  readonly to?: string;
  readonly page: number;
}

export const EVENTS_PAGE_SIZE = 25;

/** The event search's filters, or the first field that is wrong (checked in the order the form shows them). */
export function parseEventFilters(
  params: SearchParams,
): { readonly ok: true; readonly filters: EventFilters } | { readonly ok: false; readonly bad: BadField } {
  const type = one(params, 'type');
  if (type !== undefined && !EVENT_TYPE.test(type))
    return bad('type', 'Event type: use the event name in PascalCase, e.g. OrderPlaced.');
  const actor = one(params, 'actor');
  if (actor !== undefined && !TOKEN.test(actor))
    return bad('actor', 'Actor: enter an account id (letters, digits, "-", "_", "." or ":").');
  const correlationId = one(params, 'correlationId');
  if (correlationId !== undefined && !isCorrelationId(correlationId))
    return bad('correlationId', 'Correlation id: enter up to 100 letters, digits, "-", "_", "." or ":".');
  const streamId = one(params, 'streamId');
  if (streamId !== undefined && !isStreamId(streamId))
    return bad('streamId', 'Stream: enter <aggregate>-<id>, e.g. order-<uuid> or product-<sku>.');
  const fromText = one(params, 'from');
  const from = fromText === undefined ? undefined : parseMoment(fromText);
  if (fromText !== undefined && from === undefined)
    return bad('from', 'From: enter a date and time, e.g. 2026-03-01T09:30.');
  const toText = one(params, 'to');
  const to = toText === undefined ? undefined : parseMoment(toText);
  if (toText !== undefined && to === undefined)
    return bad('to', 'To: enter a date and time, e.g. 2026-03-01T18:00.');
  if (from !== undefined && to !== undefined && from > to) return bad('to', 'To: must not be before From.');
  if (type === undefined && actor === undefined && correlationId === undefined && streamId === undefined) {
    // A scan of the whole log is what `audit export` is for; query-api asks for a filter or a start.
    if (from === undefined && to !== undefined)
      return bad('from', 'From: give a start time too, or a type, actor, correlation id or stream.');
  }
  const pageText = one(params, 'page');
  const page = pageText === undefined ? 1 : wholeNumber(pageText, 1, 100_000);
  if (page === undefined) return bad('page', 'Page: must be a whole number of at least 1.');
  return {
    ok: true,
    filters: {
      ...(type ? { type } : {}),
      ...(actor ? { actor } : {}),
      ...(correlationId ? { correlationId } : {}),
      ...(streamId ? { streamId } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      page,
    },
  };
}

/** True when the filters narrow the log enough to search it (a type, actor, correlation, stream or start). */
export function narrowEnough(filters: EventFilters): boolean {
  const { type, actor, correlationId, streamId, from } = filters;
  return [type, actor, correlationId, streamId, from].some((value) => value !== undefined);
}

/** The filters as URL query (without `page` when it is 1), for the pages' links and the API call alike. */
export function filtersQuery(filters: EventFilters, page = filters.page): URLSearchParams {
  const query = new URLSearchParams();
  for (const name of ['type', 'actor', 'correlationId', 'streamId', 'from', 'to'] as const) {
    const value = filters[name];
    if (value !== undefined) query.set(name, value);
  }
  if (page > 1) query.set('page', String(page));
  return query;
}

/** The point a stream's state is shown at: a version (0: before the first event), a moment, or the latest. */
export type StatePoint =
  | { readonly kind: 'latest' }
  | { readonly kind: 'version'; readonly version: number }
  | { readonly kind: 'asOf'; readonly asOf: string };

/** The stream page's "state as of" and "compare" choices, each with its own bad field. */
export interface StreamPageChoice {
  readonly point: StatePoint;
  readonly diff?: { readonly from: number; readonly to?: number };
  readonly fromVersion: number;
  readonly bad?: BadField;
}

export const TIMELINE_PAGE_SIZE = 100;

/**
 * Reads `version` or `asOf` (the state to show), `diffFrom`/`diffTo` (versions to compare; `diffTo` empty
 * means the latest) and `fromVersion` (the timeline's first row). A bad value falls back to the default for
 * that control and is reported; the rest of the page still works.
 */
export function parseStreamChoice(params: SearchParams): StreamPageChoice {
  let bad: BadField | undefined;
  const versionText = one(params, 'version');
  const asOfText = one(params, 'asOf');
  let point: StatePoint = { kind: 'latest' };
  if (versionText !== undefined && asOfText !== undefined) {
    bad = { field: 'asOf', message: 'State as of: choose a version or a date and time, not both.' };
  } else if (versionText !== undefined) {
    const version = wholeNumber(versionText, 0);
    if (version === undefined)
      bad = { field: 'version', message: 'Version: enter a whole number, 0 or more.' };
    else point = { kind: 'version', version };
  } else if (asOfText !== undefined) {
    const asOf = parseMoment(asOfText);
    if (asOf === undefined)
      bad = { field: 'asOf', message: 'Date and time: enter one, e.g. 2026-03-01T09:30.' };
    else point = { kind: 'asOf', asOf };
  }

  let diff: StreamPageChoice['diff'];
  const diffFromText = one(params, 'diffFrom');
  const diffToText = one(params, 'diffTo');
  if (diffFromText !== undefined || diffToText !== undefined) {
    const from = diffFromText === undefined ? undefined : wholeNumber(diffFromText, 0);
    const to = diffToText === undefined ? undefined : wholeNumber(diffToText, 0);
    if (from === undefined)
      bad ??= { field: 'diffFrom', message: 'Compare from version: enter a whole number, 0 or more.' };
    else if (diffToText !== undefined && to === undefined)
      bad ??= { field: 'diffTo', message: 'Compare to version: enter a whole number, 0 or more.' };
    else if (to !== undefined && to < from)
      bad ??= { field: 'diffTo', message: 'Compare to version: must not be before the from version.' };
    else diff = { from, ...(to === undefined ? {} : { to }) };
  } else if (point.kind === 'version') {
    // Showing an earlier version: what changed from there to now is the natural next question.
    diff = { from: point.version };
  }

  const fromVersionText = one(params, 'fromVersion');
  const fromVersion = fromVersionText === undefined ? 1 : wholeNumber(fromVersionText, 1);
  if (fromVersion === undefined)
    bad ??= {
      field: 'fromVersion',
      message: 'Timeline: the first version must be a whole number of at least 1.',
    };
  return { point, ...(diff ? { diff } : {}), fromVersion: fromVersion ?? 1, ...(bad ? { bad } : {}) };
}

/**
 * A dynamic route segment as the auditor meant it. Next may hand it over still percent-encoded; a malformed
 * escape is kept as it is (it then fails the id check and gets a message instead of an exception).
 */
export function routeParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function bad(field: string, message: string): { readonly ok: false; readonly bad: BadField } {
  return { ok: false, bad: { field, message } };
}
