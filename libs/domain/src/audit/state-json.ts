/** A state as plain JSON, with object keys in a fixed order. */
export type JsonState = null | boolean | number | string | JsonState[] | JsonObject;

/** A JSON object of a state. */
export interface JsonObject {
  [key: string]: JsonState;
}

/**
 * The JSON form of a state, identical for equal states whatever order their fields were set in: object
 * keys (and Map keys) sorted by code unit; Maps become objects, Sets arrays (in insertion order, which a
 * fold makes deterministic), Dates ISO-8601 strings, bigints decimal strings. `undefined` members are left
 * out (as `JSON.stringify` does), and so are functions and symbols; non-finite numbers become null.
 */
export function toJsonState(value: unknown): JsonState {
  return convert(value) ?? null;
}

function convert(value: unknown): JsonState | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((item) => convert(item) ?? null);
  if (isDate(value)) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Set) return [...(value as Set<unknown>)].map((item) => convert(item) ?? null);
  const entries: [string, unknown][] =
    value instanceof Map
      ? [...(value as Map<unknown, unknown>)].map(([key, member]) => [String(key), member])
      : Object.entries(value as Record<string, unknown>);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const members: [string, JsonState][] = [];
  for (const [key, member] of entries) {
    const converted = convert(member);
    if (converted !== undefined) members.push([key, converted]);
  }
  // fromEntries defines own properties: a key such as "__proto__" stays data.
  return Object.fromEntries(members);
}

/**
 * Told by its internal tag, not `instanceof`: the domain never constructs or reads the clock, but a state
 * handed in may still carry a Date.
 */
function isDate(value: unknown): value is { getTime(): number; toISOString(): string } {
  return Object.prototype.toString.call(value) === '[object Date]';
}
