import { randomUUID } from 'node:crypto';
import { type EventMetadata, type JsonValue, type NewEvent, uuidv7 } from '@tally/event-store';

/**
 * A new event for tests that write straight to the store: a fresh UUID v7 id and complete metadata (its
 * own correlation, a random customer as the actor), any of which `metadata` overrides.
 */
export function testEvent(
  type: string,
  data: JsonValue = {},
  metadata: Partial<EventMetadata> = {},
): NewEvent {
  const id = uuidv7();
  return {
    eventId: uuidv7(),
    type,
    data,
    metadata: {
      commandId: id,
      correlationId: id,
      causationId: id,
      actor: { id: randomUUID(), role: 'customer' },
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
      ...metadata,
    },
  };
}
