import type { EventStore } from '@tally/event-store';
import type { CommandOutcome } from './decide.command';

/**
 * The id a command minted for something it created (an order id at checkout, a refund id), as stored.
 *
 * Ids come in on the command (DESIGN.md §5), so a request retried with its Idempotency-Key after a crash
 * mints a new one while carrying the same command id; the handler answers it from the events the first
 * attempt stored, and the id to report is the one in those events, not the new one.
 */
export async function mintedId(
  store: EventStore,
  outcome: CommandOutcome,
  minted: {
    readonly commandId: string;
    readonly eventType: string;
    readonly field: string;
    readonly id: string;
  },
): Promise<string> {
  if (outcome.appended > 0) return minted.id;
  const events = await store.readStream(outcome.streamId);
  const stored = events.find(
    (event) => event.type === minted.eventType && event.metadata.commandId === minted.commandId,
  );
  const id = (stored?.data as Readonly<Record<string, unknown>> | undefined)?.[minted.field];
  return typeof id === 'string' ? id : minted.id;
}
