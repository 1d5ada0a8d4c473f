import { z } from 'zod';
import { intParam } from '../shared.schemas';

export const MAX_EVENTS_PER_PAGE = 500;

/** `<aggregate>-<id>` (DESIGN.md §3): `cart-<uuid>`, `product-<sku>`, `stock-<sku>`, ... */
export const streamPathParams = z.object({
  streamId: z
    .string()
    .max(200)
    .regex(
      /^[a-z][a-z0-9]*-[A-Za-z0-9._:-]+$/,
      'must be <aggregate>-<id>, e.g. cart-<uuid> or product-<sku>',
    ),
});

export const streamEventsQuery = z.strictObject({
  fromVersion: intParam(1, Number.MAX_SAFE_INTEGER)
    .default(1)
    .describe('First version to return (inclusive)'),
  limit: intParam(1, MAX_EVENTS_PER_PAGE).default(100).describe(`Events per page, 1..${MAX_EVENTS_PER_PAGE}`),
});

/** The stored envelope (DESIGN.md §3), as the event store returns it. */
export const eventEnvelopeSchema = z.object({
  eventId: z.uuid(),
  streamId: z.string(),
  version: z.number().int().min(1),
  type: z.string(),
  data: z.unknown(),
  metadata: z.object({
    commandId: z.string(),
    correlationId: z.string(),
    causationId: z.string(),
    actor: z.object({ id: z.string(), role: z.string() }),
    occurredAt: z.string(),
    schemaVersion: z.number().int(),
  }),
  position: z.string().describe('Global checkpoint (opaque; orders as a string)'),
  recordedAt: z.string(),
});

export const streamEventsPageSchema = z.object({
  streamId: z.string(),
  fromVersion: z.number().int(),
  limit: z.number().int(),
  events: z.array(eventEnvelopeSchema),
  nextFromVersion: z
    .number()
    .int()
    .nullable()
    .describe('fromVersion of the next page; null on the last page'),
  next: z.string().nullable().describe('URL of the next page; null on the last page'),
});
