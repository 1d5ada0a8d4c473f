/** The subject prefix every Tally subject starts with, unless configured otherwise (tests use their own). */
export const DEFAULT_SUBJECT_PREFIX = 'tally';

/** The JetStream stream that stores relayed events, unless configured otherwise. */
export const DEFAULT_EVENT_STREAM = 'TALLY_EVENTS';

/** The JetStream stream that holds a deployment's events: `<PREFIX>_EVENTS` for subject prefix `<prefix>`. */
export const eventStreamName = (prefix: string): string => `${prefix.toUpperCase()}_EVENTS`;

// NATS subject tokens may not hold whitespace, `.`, `*` or `>`; stream prefixes and event types never do.
const TOKEN = /^[^\s.*>]+$/;
const PREFIX = /^[^\s*>]+$/;

function checkToken(what: string, value: string): string {
  if (!TOKEN.test(value))
    throw new RangeError(`${what} ${JSON.stringify(value)} is not a NATS subject token`);
  return value;
}

function checkPrefix(prefix: string): string {
  if (!PREFIX.test(prefix) || prefix.startsWith('.') || prefix.endsWith('.') || prefix.includes('..')) {
    throw new RangeError(`Subject prefix ${JSON.stringify(prefix)} is not a NATS subject`);
  }
  return prefix;
}

/**
 * The aggregate a stream belongs to: the stream id up to its first `-` (`order-<uuid>` -> `order`,
 * `checkout-<orderId>` -> `checkout`; DESIGN.md §3). A stream id without `-` is its own aggregate.
 */
export function aggregateOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return checkToken('Aggregate of stream', dash < 0 ? streamId : streamId.slice(0, dash));
}

/** `<prefix>.events.<aggregate>.<EventType>`: where the relay publishes one event (DESIGN.md §7). */
export function eventSubject(
  event: { readonly streamId: string; readonly type: string },
  prefix = DEFAULT_SUBJECT_PREFIX,
): string {
  return `${checkPrefix(prefix)}.events.${aggregateOf(event.streamId)}.${checkToken('Event type', event.type)}`;
}

/** `<prefix>.events.>`: every relayed event; the subjects of the event stream. */
export function allEventsSubject(prefix = DEFAULT_SUBJECT_PREFIX): string {
  return `${checkPrefix(prefix)}.events.>`;
}

/** `<prefix>.events.*.<EventType>`: one event type, whatever its aggregate (a consumer filter). */
export function eventTypeSubject(type: string, prefix = DEFAULT_SUBJECT_PREFIX): string {
  return `${checkPrefix(prefix)}.events.*.${checkToken('Event type', type)}`;
}

/**
 * `<prefix>.commands.<CommandType>`: the request/reply subject a command is sent on. command-api serves
 * them all with one `@MessagePattern(commandSubjectPattern())` handler (docs/adr/0006-relay-and-consumers.md).
 */
export function commandSubject(type: string, prefix = DEFAULT_SUBJECT_PREFIX): string {
  return `${checkPrefix(prefix)}.commands.${checkToken('Command type', type)}`;
}

/** `<prefix>.commands.*`: the NATS wildcard subject that matches every {@link commandSubject}. */
export function commandSubjectPattern(prefix = DEFAULT_SUBJECT_PREFIX): string {
  return `${checkPrefix(prefix)}.commands.*`;
}

/**
 * Whether a concrete subject matches a NATS subject filter (`*` = one token, `>` = one or more trailing
 * tokens). Used where the server cannot filter for us (several filter subjects before NATS 2.10).
 */
export function subjectMatches(filter: string, subject: string): boolean {
  const wanted = filter.split('.');
  const actual = subject.split('.');
  for (let i = 0; i < wanted.length; i++) {
    const token = wanted[i];
    if (token === '>') return actual.length > i;
    if (i >= actual.length) return false;
    if (token !== '*' && token !== actual[i]) return false;
  }
  return wanted.length === actual.length;
}
