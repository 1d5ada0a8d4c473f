import type { JsonObject, JsonState } from './state-json';

/** One difference between two states, at a JSON Pointer (RFC 6901) into them. */
export interface StateChange {
  /** `''` is the whole state; `/lines/0/quantity` one field. */
  readonly path: string;
  readonly op: 'add' | 'remove' | 'replace';
  /** The value before (absent for `add`). */
  readonly from?: JsonState;
  /** The value after (absent for `remove`). */
  readonly to?: JsonState;
}

/**
 * What changed from `before` to `after` (JSON forms, see {@link toJsonState}), deepest first where it can
 * tell: objects member by member (sorted keys), arrays element by element (an element added or removed at
 * the end shows as `add`/`remove` at its index); a value whose type changed is one `replace`.
 */
export function diffStates(before: JsonState, after: JsonState): StateChange[] {
  const changes: StateChange[] = [];
  diff(before, after, '', changes);
  return changes;
}

function diff(before: JsonState, after: JsonState, path: string, changes: StateChange[]): void {
  if (before === after) return;
  if (Array.isArray(before) && Array.isArray(after)) {
    const common = Math.min(before.length, after.length);
    for (let i = 0; i < common; i++) diff(before[i] ?? null, after[i] ?? null, `${path}/${i}`, changes);
    for (let i = common; i < after.length; i++)
      changes.push({ path: `${path}/${i}`, op: 'add', to: after[i] });
    // Highest index first: applying the removals in order leaves each index valid (RFC 6902 semantics).
    for (let i = before.length - 1; i >= common; i--) {
      changes.push({ path: `${path}/${i}`, op: 'remove', from: before[i] });
    }
    return;
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort((a, b) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    for (const key of keys) {
      const at = `${path}/${escapePointer(key)}`;
      const had = Object.hasOwn(before, key);
      const has = Object.hasOwn(after, key);
      if (had && has) diff(before[key] ?? null, after[key] ?? null, at, changes);
      else if (has) changes.push({ path: at, op: 'add', to: after[key] });
      else changes.push({ path: at, op: 'remove', from: before[key] });
    }
    return;
  }
  changes.push({ path, op: 'replace', from: before, to: after });
}

function isObject(value: JsonState): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 6901: `~` is `~0`, `/` is `~1`. */
function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
