import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { diffStates, stateAt, streamFoldFor, toJsonState } from '@tally/domain';
import type { EventStore, RecordedEvent } from '@tally/event-store';
import { EVENT_STORE, HttpProblem, parseRequest, Roles } from '@tally/platform';
import { AuditLog } from './audit-log';
import {
  type AuditEventsPage,
  auditEventsQuery,
  type AuditStream,
  auditStreamPathParams,
  auditStreamQuery,
  correlationPathParams,
  type CorrelationStory,
  type HistoryPoint,
  type IntegrityStatus,
  MAX_CORRELATION_EVENTS,
  type StateDiffView,
  stateDiffQuery,
  streamStateQuery,
  type StreamStateView,
} from './audit.schemas';

/**
 * History for auditors (docs/audit.md): every event with who, when and why and its hash, searches over the
 * whole log, the state of any stream as of any moment (folded by the domain's own deciders), what changed
 * between two moments, the story of one correlation id, and the integrity status. Reads the event store
 * (the record itself), never a read model.
 */
@Controller('api/v1/audit')
@Roles('auditor')
export class AuditController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly log: AuditLog,
  ) {}

  @Get('streams/:streamId')
  async stream(@Param() rawParams: unknown, @Query() rawQuery: unknown): Promise<AuditStream> {
    const { streamId } = parseRequest(auditStreamPathParams, rawParams, 'path');
    const { fromVersion, limit } = parseRequest(auditStreamQuery, rawQuery, 'query');
    const [version, events] = await Promise.all([
      this.log.head(streamId),
      this.log.stream(streamId, fromVersion, limit),
    ]);
    if (version === 0) throw streamNotFound(streamId);
    return { streamId, version, events };
  }

  @Get('events')
  async events(@Query() rawQuery: unknown): Promise<AuditEventsPage> {
    const query = parseRequest(auditEventsQuery, rawQuery, 'query');
    const { events, hasMore } = await this.log.search(query);
    return { items: events, page: query.page, pageSize: query.pageSize, hasMore };
  }

  /**
   * By `version`: the state after that version (0: before the first event). By `asOf`: after the last event
   * recorded at or before that time, and version 0 with the initial state when the stream did not exist
   * yet then. A stream with no events at all is a 404, a version beyond its head too.
   */
  @Get('streams/:streamId/state')
  async state(@Param() rawParams: unknown, @Query() rawQuery: unknown): Promise<StreamStateView> {
    const { streamId } = parseRequest(auditStreamPathParams, rawParams, 'path');
    const query = parseRequest(streamStateQuery, rawQuery, 'query');
    // A stream kind without a decider is a 422 before anything is read.
    streamFoldFor(streamId);
    const events =
      query.version === undefined
        ? await this.store.readStream(streamId, { asOf: query.asOf })
        : await this.store.readStream(streamId, { toVersion: query.version });
    const last = events.at(-1);
    if (!last && !(await this.exists(streamId))) throw streamNotFound(streamId);
    if (query.version !== undefined && (last?.version ?? 0) < query.version) {
      throw versionNotFound(streamId, 'query.version', query.version, last?.version ?? 0);
    }
    const { aggregate, state } = stateAt(streamId, events);
    return {
      streamId,
      aggregate,
      version: last?.version ?? 0,
      recordedAt: last?.recordedAt ?? null,
      ...(query.asOf ? { asOf: query.asOf.toISOString() } : {}),
      state: toJsonState(state),
    };
  }

  /** `from` and `to` are each a version or a time (resolved as for `state`); `from` may not be after `to`. */
  @Get('streams/:streamId/state/diff')
  async diff(@Param() rawParams: unknown, @Query() rawQuery: unknown): Promise<StateDiffView> {
    const { streamId } = parseRequest(auditStreamPathParams, rawParams, 'path');
    const { from, to } = parseRequest(stateDiffQuery, rawQuery, 'query');
    streamFoldFor(streamId);
    // Two versions bound the read; a time needs the stream's recorded times up to it.
    const events =
      'version' in from && 'version' in to
        ? await this.store.readStream(streamId, { toVersion: Math.max(from.version, to.version) })
        : await this.store.readStream(streamId);
    if (events.length === 0 && !(await this.exists(streamId))) throw streamNotFound(streamId);
    const fromVersion = resolve(streamId, from, events, 'query.from');
    const toVersion = resolve(streamId, to, events, 'query.to');
    if (fromVersion > toVersion) {
      throw new HttpProblem(400, 'VALIDATION_FAILED', 'Invalid request', 'from is after to.', [
        { field: 'query.from', message: `is version ${fromVersion}, after to (version ${toVersion})` },
      ]);
    }
    const before = stateAt(streamId, events.slice(0, fromVersion)).state;
    const after = stateAt(streamId, events.slice(0, toVersion)).state;
    return {
      streamId,
      from: { version: fromVersion, recordedAt: events[fromVersion - 1]?.recordedAt ?? null },
      to: { version: toVersion, recordedAt: events[toVersion - 1]?.recordedAt ?? null },
      changes: diffStates(toJsonState(before), toJsonState(after)),
      events:
        toVersion > fromVersion
          ? await this.log.stream(streamId, fromVersion + 1, toVersion - fromVersion)
          : [],
    };
  }

  @Get('correlations/:correlationId')
  async correlation(@Param() rawParams: unknown): Promise<CorrelationStory> {
    const { correlationId } = parseRequest(correlationPathParams, rawParams, 'path');
    const found = await this.log.correlation(correlationId, MAX_CORRELATION_EVENTS + 1);
    if (found.length === 0) {
      throw new HttpProblem(
        404,
        'CORRELATION_NOT_FOUND',
        'Not found',
        `No event carries correlation id ${correlationId}.`,
      );
    }
    const events = found.slice(0, MAX_CORRELATION_EVENTS);
    return {
      correlationId,
      streams: [...new Set(events.map((event) => event.streamId))],
      events,
      truncated: found.length > MAX_CORRELATION_EVENTS,
    };
  }

  @Get('integrity')
  integrity(): Promise<IntegrityStatus> {
    return this.log.integrity();
  }

  private async exists(streamId: string): Promise<boolean> {
    return (await this.store.readStream(streamId, { fromVersion: 1, toVersion: 1 })).length > 0;
  }
}

/**
 * The version a point names in a stream read from version 1: a version as given (404 beyond the head), a
 * time as the last version recorded at or before it (0 before the first event).
 */
function resolve(
  streamId: string,
  point: HistoryPoint,
  events: readonly RecordedEvent[],
  field: string,
): number {
  if ('version' in point) {
    const head = events.at(-1)?.version ?? 0;
    if (point.version > head) throw versionNotFound(streamId, field, point.version, head);
    return point.version;
  }
  const limit = point.asOf.getTime();
  let version = 0;
  for (const event of events) {
    if (Date.parse(event.recordedAt) > limit) break;
    version = event.version;
  }
  return version;
}

function streamNotFound(streamId: string): HttpProblem {
  return new HttpProblem(404, 'STREAM_NOT_FOUND', 'Not found', `No stream ${streamId}.`);
}

function versionNotFound(streamId: string, field: string, version: number, head: number): HttpProblem {
  return new HttpProblem(
    404,
    'STREAM_VERSION_NOT_FOUND',
    'Not found',
    `${streamId} has no version ${version}: its head is version ${head}.`,
    [{ field, message: `is beyond the stream's head (version ${head})` }],
  );
}
