import { deterministicCommandId } from '@tally/messaging';

/**
 * The id of a command the command side issues as step `step` of the command `commandId` (e.g. the
 * `AssignOrderNumber` that follows a `PlaceOrder`): redelivering the parent redelivers the same steps.
 */
export function stepCommandId(commandId: string, step: string): string {
  // Encoded: a deterministic id's scope may not hold '/', and command ids come from outside.
  return deterministicCommandId(`step-${encodeURIComponent(commandId)}`, step);
}
