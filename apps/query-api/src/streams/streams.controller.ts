import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import type { EventStore, RecordedEvent } from '@tally/event-store';
import { EVENT_STORE, HttpProblem, parseRequest, Roles } from '@tally/platform';
import type { z } from 'zod';
import { streamEventsPageSchema, streamEventsQuery, streamPathParams } from './streams.schemas';

type StreamEventsPage = z.infer<typeof streamEventsPageSchema>;

/**
 * The full history of one stream, for auditors. The one query-api endpoint that reads the event store
 * rather than a read model: the envelopes are the record, and a stream read is always up to date.
 */
@Controller('api/v1/streams')
@Roles('admin', 'auditor')
export class StreamsController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get(':streamId/events')
  async events(@Param() rawParams: unknown, @Query() rawQuery: unknown): Promise<StreamEventsPage> {
    const { streamId } = parseRequest(streamPathParams, rawParams, 'path');
    const { fromVersion, limit } = parseRequest(streamEventsQuery, rawQuery, 'query');
    // One more than asked tells whether a next page exists.
    const events = await this.store.readStream(streamId, { fromVersion, toVersion: fromVersion + limit });
    if (events.length === 0 && !(await this.exists(streamId))) {
      throw new HttpProblem(404, 'STREAM_NOT_FOUND', 'Not found', `No stream ${streamId}.`);
    }
    const page = events.slice(0, limit);
    const last = page.at(-1);
    const nextFromVersion = events.length > limit && last ? last.version + 1 : null;
    return {
      streamId,
      fromVersion,
      limit,
      events: page.map(envelope),
      nextFromVersion,
      next:
        nextFromVersion === null
          ? null
          : `/api/v1/streams/${encodeURIComponent(streamId)}/events?fromVersion=${nextFromVersion}&limit=${limit}`,
    };
  }

  private async exists(streamId: string): Promise<boolean> {
    return (await this.store.readStream(streamId, { fromVersion: 1, toVersion: 1 })).length > 0;
  }
}

/** Exactly the envelope fields of DESIGN.md §3, whatever else an adapter carries. */
function envelope(event: RecordedEvent) {
  const { eventId, streamId, version, type, data, metadata, position, recordedAt } = event;
  return { eventId, streamId, version, type, data, metadata, position, recordedAt };
}
