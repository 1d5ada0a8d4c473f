import { z } from 'zod';
import { intParam } from '../shared.schemas';
import { streamPathParams } from '../streams/streams.schemas';

/** Most events one page of a stream's audit history holds. */
export const MAX_AUDIT_STREAM_PAGE = 1000;
/** Most events one page of an event search holds. */
export const MAX_AUDIT_SEARCH_PAGE = 200;
/** Most events a correlation story returns (a checkout has a few dozen). */
export const MAX_CORRELATION_EVENTS = 5000;

/** An ISO-8601 instant with its offset (`2026-11-21T10:15:00Z`, `…+01:00`), as a Date. */
const isoInstant = z
  .string()
  .pipe(
    z.iso.datetime({
      offset: true,
      message: 'must be an ISO-8601 time with an offset, e.g. 2026-11-21T10:15:00Z',
    }),
  )
  .transform((value) => new Date(value));

/** A point in a stream's history: a version number (0 = before the first event) or an ISO-8601 time. */
export type HistoryPoint = { readonly version: number } | { readonly asOf: Date };

const historyPoint = z.string().transform((value, context): HistoryPoint => {
  if (/^\d{1,15}$/.test(value)) return { version: Number(value) };
  const instant = z.iso.datetime({ offset: true }).safeParse(value);
  if (instant.success) return { asOf: new Date(instant.data) };
  context.addIssue({
    code: 'custom',
    message: 'must be a version number or an ISO-8601 time with an offset',
  });
  return z.NEVER;
});

/** `<aggregate>-<id>` (DESIGN.md §3), as the streams endpoint accepts it. */
export const auditStreamPathParams = streamPathParams;

/** A correlation id as requests carry it (`X-Correlation-Id`: a UUID or up to 100 word characters). */
export const correlationPathParams = z.object({
  correlationId: z.string().regex(/^[\w.:-]{1,100}$/, 'must be 1 to 100 letters, digits, _ . : or -'),
});

export const auditStreamQuery = z.strictObject({
  fromVersion: intParam(1, Number.MAX_SAFE_INTEGER)
    .default(1)
    .describe('First version to return (inclusive)'),
  limit: intParam(1, MAX_AUDIT_STREAM_PAGE)
    .default(100)
    .describe(`Events to return, 1..${MAX_AUDIT_STREAM_PAGE}`),
});

/**
 * An event search needs at least one filter (type, actor, correlationId, streamId) or the start of a time
 * range (`from`): an unbounded scan of the whole log is what `audit export` is for.
 */
export const auditEventsQuery = z
  .strictObject({
    type: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]{0,99}$/, 'must be an event type, e.g. OrderPlaced')
      .optional()
      .describe('Only events of this type'),
    actor: z.string().min(1).max(200).optional().describe('Only events caused by this actor id'),
    correlationId: correlationPathParams.shape.correlationId
      .optional()
      .describe('Only events of this correlation id'),
    streamId: streamPathParams.shape.streamId.optional().describe('Only events of this stream'),
    from: isoInstant.optional().describe('Only events recorded at or after this ISO-8601 time'),
    to: isoInstant.optional().describe('Only events recorded at or before this ISO-8601 time'),
    page: intParam(1, 100_000).default(1).describe('Page number, from 1'),
    pageSize: intParam(1, MAX_AUDIT_SEARCH_PAGE)
      .default(50)
      .describe(`Events per page, 1..${MAX_AUDIT_SEARCH_PAGE}`),
  })
  .superRefine((query, context) => {
    const { type, actor, correlationId, streamId, from, to } = query;
    if (type === undefined && actor === undefined && correlationId === undefined && streamId === undefined) {
      if (from === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['from'],
          message: 'is required when no type, actor, correlationId or streamId is given',
        });
      }
    }
    if (from !== undefined && to !== undefined && from > to) {
      context.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
    }
  });

export type AuditEventsQuery = z.infer<typeof auditEventsQuery>;

/** Exactly one of `asOf` and `version`. */
export const streamStateQuery = z
  .strictObject({
    asOf: isoInstant.optional().describe('The state as of this ISO-8601 time (give this or version)'),
    version: intParam(0, Number.MAX_SAFE_INTEGER)
      .optional()
      .describe('The state after this version, 0 = before the first event (give this or asOf)'),
  })
  .superRefine((query, context) => {
    if (query.asOf !== undefined && query.version !== undefined) {
      context.addIssue({ code: 'custom', path: ['version'], message: 'cannot be combined with asOf' });
    } else if (query.asOf === undefined && query.version === undefined) {
      context.addIssue({ code: 'custom', path: ['asOf'], message: 'is required (or give version)' });
    }
  });

export const stateDiffQuery = z.strictObject({
  from: historyPoint.describe('Version number (0 = before the first event) or ISO-8601 time'),
  to: historyPoint.describe('Version number or ISO-8601 time, not before from'),
});

const actorSchema = z.object({ id: z.string(), role: z.string() });

/** One event as an auditor reads it: the envelope, who/when/why pulled up, and its place in the hash chain. */
export const auditEventSchema = z.object({
  eventId: z.string(),
  streamId: z.string(),
  version: z.number().int().min(1),
  position: z.string().describe('Global checkpoint (opaque; orders as a string)'),
  type: z.string(),
  data: z.unknown(),
  metadata: z.record(z.string(), z.unknown()).describe('The stored metadata, as recorded'),
  actor: actorSchema.describe('Who caused the event'),
  occurredAt: z.string().describe('When the command was issued (ISO-8601)'),
  recordedAt: z.string().describe('When the store committed the event (ISO-8601)'),
  commandId: z.string(),
  correlationId: z.string(),
  causationId: z.string(),
  hash: z.string().describe('SHA-256 (hex) over the previous hash and this event (docs/audit.md)'),
  previousHash: z.string().describe('Hash of the previous event of the stream; 64 zeros for version 1'),
});

export const auditStreamSchema = z.object({
  streamId: z.string(),
  version: z.number().int().describe("The stream's head version"),
  events: z.array(auditEventSchema),
});

export const auditEventsPageSchema = z.object({
  items: z.array(auditEventSchema).describe('By recorded time, then global position'),
  page: z.number().int(),
  pageSize: z.number().int(),
  hasMore: z.boolean(),
});

export const streamStateSchema = z.object({
  streamId: z.string(),
  aggregate: z.string().describe('The decider or process manager that folds this stream'),
  version: z.number().int().describe('Last folded version; 0 when the stream did not exist yet'),
  recordedAt: z.string().nullable().describe('When that version was recorded; null for version 0'),
  asOf: z.string().optional().describe('The time asked for, when asked by time'),
  state: z.unknown().describe("The decider's state as JSON (sorted keys)"),
});

const pointSchema = z.object({ version: z.number().int(), recordedAt: z.string().nullable() });

export const stateDiffSchema = z.object({
  streamId: z.string(),
  from: pointSchema,
  to: pointSchema,
  changes: z.array(
    z.object({
      path: z.string().describe('JSON Pointer into the state'),
      op: z.enum(['add', 'remove', 'replace']),
      from: z.unknown().optional(),
      to: z.unknown().optional(),
    }),
  ),
  events: z.array(auditEventSchema).describe('The events after from, up to and including to'),
});

export const correlationStorySchema = z.object({
  correlationId: z.string(),
  streams: z.array(z.string()).describe('Every stream the story touched, in order of first appearance'),
  events: z.array(auditEventSchema).describe('In global order'),
  truncated: z.boolean().describe(`True when the story has more than ${MAX_CORRELATION_EVENTS} events`),
});

export const integrityStatusSchema = z.object({
  lastCheckpoint: z
    .object({
      sequence: z.number().int(),
      upTo: z.string(),
      leafCount: z.number().int(),
      root: z.string(),
      createdAt: z.string(),
      keyId: z.string(),
      publicKey: z.string(),
      signature: z.string(),
    })
    .nullable()
    .describe('The newest signed checkpoint; null before the first'),
  lastVerification: z
    .object({
      startedAt: z.string(),
      finishedAt: z.string(),
      scope: z.string(),
      ok: z.boolean(),
      eventsChecked: z.number().int(),
      streamsChecked: z.number().int(),
      checkpointSequence: z.number().int().nullable(),
      breaks: z
        .object({ streams: z.array(z.unknown()), checkpoints: z.array(z.unknown()) })
        .describe('The first broken link of each stream, and each checkpoint the log no longer matches'),
    })
    .nullable()
    .describe('The newest `audit verify` run; null before the first'),
});

export type AuditEvent = z.infer<typeof auditEventSchema>;
export type AuditStream = z.infer<typeof auditStreamSchema>;
export type AuditEventsPage = z.infer<typeof auditEventsPageSchema>;
export type StreamStateView = z.infer<typeof streamStateSchema>;
export type StateDiffView = z.infer<typeof stateDiffSchema>;
export type CorrelationStory = z.infer<typeof correlationStorySchema>;
export type IntegrityStatus = z.infer<typeof integrityStatusSchema>;
