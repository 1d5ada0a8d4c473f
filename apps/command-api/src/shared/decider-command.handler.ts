import { setTimeout as sleep } from 'node:timers/promises';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { DomainCommand, DomainEvent } from '@tally/domain';
import {
  ConcurrencyError,
  type EventStore,
  type JsonValue,
  type NewEvent,
  type RecordedEvent,
} from '@tally/event-store';
import { EVENT_STORE, HttpProblem, uuidv7 } from '@tally/platform';
import { CommandMetrics, type CommandOutcomeLabel } from './command-metrics';
import { type CommandOutcome, Decide } from './decide.command';
import { retryDelayMs } from './retry-policy';
import { StreamLocks } from './stream-locks';

type AnyDecide = Decide<DomainCommand, DomainEvent, unknown>;

/**
 * The write side's only command handler (DESIGN.md §5): load the stream, fold `evolve` from `initialState`,
 * `decide`, append with the version it decided on. Nothing else: validation happened at the edge and
 * business rules live in the decider.
 *
 * Within this process, commands on one stream are decided one at a time (load to append), so that they do
 * not race each other for the same version: a hot stream (a best-selling SKU under checkout) then costs one
 * decision per command instead of a storm of lost races. Races with other processes remain, and are
 * settled by the expected version as before.
 */
@CommandHandler(Decide)
export class DeciderCommandHandler implements ICommandHandler<AnyDecide> {
  private readonly locks = new StreamLocks();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly metrics: CommandMetrics,
  ) {}

  async execute(message: AnyDecide): Promise<CommandOutcome> {
    const { type } = message.command;
    try {
      const outcome = await this.decideWithRetry(message);
      this.metrics.counted(type, outcome.label);
      return outcome.result;
    } catch (error) {
      this.metrics.counted(type, failureLabel(error));
      throw error;
    }
  }

  private async decideWithRetry(
    message: AnyDecide,
  ): Promise<{ result: CommandOutcome; label: CommandOutcomeLabel }> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.locks.run(message.streamId, () => this.attempt(message));
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        // The client named the version it saw: losing the race means its premise is gone (412).
        if (message.options.expectedVersion !== undefined) throw error;
        const delay = retryDelayMs(message.options.retry, attempt);
        if (delay === undefined) throw concurrentModification(message.streamId, attempt);
        this.metrics.retried(message.command.type);
        await sleep(delay);
      }
    }
  }

  private async attempt({
    decider,
    streamId,
    command,
    options,
  }: AnyDecide): Promise<{ result: CommandOutcome; label: CommandOutcomeLabel }> {
    const history = await this.store.readStream(streamId);
    const version = history.at(-1)?.version ?? 0;

    // A redelivered command (same commandId, e.g. an Idempotency-Key retry after a crash) is answered from
    // the events it already produced instead of being applied twice.
    const earlier = history.filter((event) => event.metadata.commandId === command.metadata.commandId);
    const lastEarlier = earlier.at(-1);
    if (lastEarlier) {
      return {
        result: { streamId, version: lastEarlier.version, checkpoint: lastEarlier.position, appended: 0 },
        label: 'duplicate',
      };
    }
    if (options.expectedVersion !== undefined && options.expectedVersion !== version) {
      throw new ConcurrencyError(streamId, options.expectedVersion, version === 0 ? 'no_stream' : version);
    }

    const state = history.reduce(
      (current, event) => decider.evolve(current, asDomainEvent(event)),
      decider.initialState,
    );
    const events = decider.decide(command, state);
    if (events.length === 0) {
      return {
        result: { streamId, version, checkpoint: await this.lastCheckpoint(history), appended: 0 },
        label: 'noop',
      };
    }

    const { commandId, correlationId, actor, occurredAt } = command.metadata;
    const envelopes: NewEvent[] = events.map((event) => ({
      eventId: uuidv7(),
      type: event.type,
      data: event.data as JsonValue,
      // The command caused these events: their causation id is its id (DESIGN.md §3).
      metadata: { commandId, correlationId, causationId: commandId, actor, occurredAt, schemaVersion: 1 },
    }));
    const appended = await this.store.append(streamId, envelopes, {
      expectedVersion: version === 0 ? 'no_stream' : version,
    });
    return {
      result: {
        streamId,
        version: appended.nextVersion,
        checkpoint: appended.checkpoint,
        appended: events.length,
      },
      label: 'appended',
    };
  }

  /** A committed checkpoint for a command that changed nothing: the stream's last event, else the head. */
  private async lastCheckpoint(history: readonly RecordedEvent[]): Promise<string> {
    return history.at(-1)?.position ?? (await this.store.headCheckpoint());
  }
}

/** Stored events are folded as the domain events they were appended from (schema version 1, no upcasters yet). */
function asDomainEvent(event: RecordedEvent): DomainEvent {
  return { type: event.type, data: event.data };
}

function concurrentModification(streamId: string, attempts: number): HttpProblem {
  return new HttpProblem(
    409,
    'CONCURRENT_MODIFICATION',
    'Concurrent modification',
    `${streamId} was changed by another request while this one was being decided ` +
      `(${attempts} attempt${attempts === 1 ? '' : 's'}); read it again and retry, or send If-Match.`,
  );
}

function failureLabel(error: unknown): CommandOutcomeLabel {
  if (error instanceof ConcurrencyError) return 'version_mismatch';
  if (error instanceof HttpProblem && error.code === 'CONCURRENT_MODIFICATION') return 'conflict';
  const kind = (error as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' ? 'rejected' : 'error';
}
