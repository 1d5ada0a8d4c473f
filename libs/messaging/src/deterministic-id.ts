import { createHash } from 'node:crypto';

/**
 * A UUID version 8 (RFC 9562 "custom") made of the first 122 bits of SHA-256 over `tally:<kind>:<scope>/<key>`.
 * The same inputs give the same id in every process and after every restart, which is what makes a
 * redelivered action harmless: the receiver recognises the id it has already handled. `kind` keeps ids of
 * different things apart (`command`, `event`, `refund`, ...).
 */
export function deterministicId(kind: string, scope: string, key: string): string {
  if (!/^[a-z][a-z-]*$/.test(kind))
    throw new RangeError(`Kind ${JSON.stringify(kind)} must be lower-case words`);
  if (scope === '' || key === '') throw new RangeError('A deterministic id needs a scope and a key');
  // `scope/key` must read one way only: with a `/` allowed in the scope, `a/b` + `c` and `a` + `b/c` collide.
  if (scope.includes('/')) throw new RangeError(`Scope ${JSON.stringify(scope)} must not contain '/'`);
  const bytes = createHash('sha256').update(`tally:${kind}:${scope}/${key}`, 'utf8').digest().subarray(0, 16);
  bytes[6] = 0x80 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The command id of an action a process manager takes: `scope` names the process instance (e.g.
 * `checkout-<orderId>`), `key` the action within it (e.g. the action's `key`). Sending the action again
 * after a redelivery or a restart carries the same id, so command-api returns the first result instead of
 * deciding twice.
 */
export function deterministicCommandId(scope: string, key: string): string {
  return deterministicId('command', scope, key);
}

/**
 * An event id derived from what caused the event, for appends that must be idempotent across retries
 * (re-appending a stored event id is a no-op, DESIGN.md §4). Distinct from {@link deterministicCommandId}
 * for the same scope and key.
 */
export function deterministicEventId(scope: string, key: string): string {
  return deterministicId('event', scope, key);
}
