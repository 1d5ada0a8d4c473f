import { createHash } from 'node:crypto';

/**
 * A UUID derived from `parts` alone: SHA-256 of the parts (NUL-separated), laid out as a UUID version 8
 * (RFC 9562, custom). The same parts always give the same id, so a step retried after a crash or a
 * redelivery carries the id it had the first time and the store or the handler recognises it.
 */
export function deterministicUuid(...parts: readonly string[]): string {
  const bytes = createHash('sha256').update(parts.join('\u0000')).digest().subarray(0, 16);
  bytes[6] = 0x80 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of a command the command side issues as step `step` of the command `commandId` (e.g. the
 * `AssignOrderNumber` that follows a `PlaceOrder`): redelivering the parent redelivers the same steps.
 */
export function stepCommandId(commandId: string, step: string): string {
  return deterministicUuid('command-step', commandId, step);
}
