import type { CommandMetadata, DomainEvent } from '@tally/domain';
import {
  ConcurrencyError,
  type EventStore,
  type JsonValue,
  type NewEvent,
  type RecordedEvent,
} from '@tally/event-store';
import {
  type CommandReply,
  type CommandSender,
  deterministicCommandId,
  deterministicEventId,
} from '@tally/messaging';
import type { Logger } from '@tally/platform';
import type { AnyProcessDefinition, ProcessAction, ProcessCommandBody } from './process-definition';
import type { ProcessMetrics } from './process-metrics';
import type { ProcessTables, StoredTimeout } from './process-tables';

/**
 * A command was not carried out for a reason that may pass (no reply in time, nobody serving commands,
 * command-api failing, a lost race): the input must be handled again later.
 */
export class CommandDeliveryError extends Error {
  override readonly name = 'CommandDeliveryError';
}

/**
 * Whether a refused command is worth sending again. 5xx: transport or command-api failure. 412 and
 * `CONCURRENT_MODIFICATION` (409): the command lost a race on its stream and was not decided at all. 429:
 * rate limited. Everything else 4xx is a domain rule saying no, which would say no again.
 */
export function isRetryableRejection(reply: { readonly status: number; readonly code: string }): boolean {
  return (
    reply.status >= 500 ||
    reply.status === 412 ||
    reply.status === 429 ||
    reply.code === 'CONCURRENT_MODIFICATION'
  );
}

/** Where a reaction comes from: the ids its commands carry in their metadata. */
interface Cause {
  readonly correlationId: string;
  readonly causationId: string;
}

export interface ProcessRuntimeOptions {
  readonly definition: AnyProcessDefinition;
  readonly store: EventStore;
  readonly tables: ProcessTables;
  readonly commands: CommandSender;
  readonly metrics: ProcessMetrics;
  readonly logger: Logger;
  /** The time commands are stamped with and timeouts are compared against (injected for tests). */
  readonly now?: () => Date;
  /** Told when a timeout is scheduled, so the poller can wake before its next tick. */
  readonly onScheduled?: (dueAt: Date) => void;
}

/** How many times a lost race on the process stream is retried before the input is handed back. */
const MAX_RECORD_ATTEMPTS = 20;

/**
 * Runs one process manager (docs/adr/0009-process-manager-runtime.md): **record, then react**.
 *
 * For each input the runtime loads the instance's stream, and unless it already holds the input (found by a
 * deterministic event id), appends it there at the loaded version. Only then does it perform
 * `react(stateBefore, input)`: commands with deterministic ids, timeouts as upserts. A crash anywhere
 * leaves the input unacknowledged; handling it again finds the record, computes the same reaction from the
 * same state and sends the same command ids, which command-api answers with their first result.
 */
export class ProcessRuntime {
  readonly name: string;
  private readonly definition: AnyProcessDefinition;
  private readonly now: () => Date;

  constructor(private readonly options: ProcessRuntimeOptions) {
    this.definition = options.definition;
    this.name = options.definition.name;
    this.now = options.now ?? (() => new Date());
  }

  /** Handles one event from the store (the consumer's handler). Throws to have it delivered again. */
  async handle(input: RecordedEvent): Promise<void> {
    const event = { type: input.type, data: input.data };
    const instance = this.definition.instanceOf(event);
    if (instance === undefined) {
      this.options.logger.warn(
        { process: this.name, eventId: input.eventId, type: input.type, streamId: input.streamId },
        'process: event belongs to no instance; ignored',
      );
      this.options.metrics.event(this.name, 'ignored');
      return;
    }
    const streamId = this.definition.streamId(instance);
    await this.observe(
      instance,
      {
        eventId: deterministicEventId(streamId, input.eventId),
        type: this.definition.recordTypes.observed,
        data: {
          type: input.type,
          data: input.data,
          eventId: input.eventId,
          streamId: input.streamId,
          version: input.version,
          occurredAt: input.metadata.occurredAt,
        },
      },
      { correlationId: input.metadata.correlationId, causationId: input.eventId },
    );
  }

  /**
   * Delivers a due timeout to its instance, through the same path as a store event, and marks it fired
   * once the reaction is done (a crash before that delivers it again, harmlessly).
   */
  async fire(timeout: StoredTimeout): Promise<void> {
    const streamId = this.definition.streamId(timeout.instance);
    const recordId = deterministicEventId(streamId, `timeout:${timeout.key}`);
    await this.observe(
      timeout.instance,
      {
        eventId: recordId,
        type: this.definition.recordTypes.timeoutFired,
        data: {
          type: timeout.event.type,
          data: timeout.event.data,
          key: timeout.key,
          dueAt: timeout.dueAt.toISOString(),
        },
      },
      // The timeout record is what the reaction answers to.
      { correlationId: timeout.correlationId, causationId: recordId },
      // Before settling: an instance the timeout finishes cancels its other pending timeouts, not this one.
      () => this.options.tables.markFired(timeout, this.now()),
    );
  }

  /**
   * Runs `resume(state)` for one instance and performs what it returns, then records its status. Used on
   * start for every unfinished instance: what a crash left half-done gets done (deterministic ids make
   * anything already done a no-op).
   */
  async resume(instance: string): Promise<void> {
    const streamId = this.definition.streamId(instance);
    const records = await this.options.store.readStream(streamId);
    const last = records.at(-1);
    const first = records[0];
    if (!last || !first) return;
    const state = this.fold(records);
    const { manager } = this.definition;
    if (!manager.isTerminal(state)) {
      await this.perform(instance, manager.resume(state), {
        correlationId: first.metadata.correlationId,
        causationId: last.metadata.causationId,
      });
    }
    await this.settle(instance, state, last.version);
  }

  /** Appends `record` unless the stream has it, then reacts to it from the state before it. */
  private async observe(
    instance: string,
    record: Omit<NewEvent, 'metadata'>,
    cause: Cause,
    reacted?: () => Promise<void>,
  ): Promise<void> {
    const { manager } = this.definition;
    const streamId = this.definition.streamId(instance);
    const event = asObserved(record.data);
    try {
      const { before, after, version, duplicate } = await this.record(streamId, record, cause);
      await this.perform(instance, manager.react(before, event), cause);
      await reacted?.();
      await this.settle(instance, after, version);
      this.options.metrics.event(this.name, duplicate ? 'duplicate' : 'recorded');
    } catch (error) {
      this.options.metrics.event(this.name, 'failed');
      throw error;
    }
  }

  private async record(
    streamId: string,
    record: Omit<NewEvent, 'metadata'>,
    cause: Cause,
  ): Promise<{ before: unknown; after: unknown; version: number; duplicate: boolean }> {
    for (let attempt = 1; ; attempt += 1) {
      const records = await this.options.store.readStream(streamId);
      const index = records.findIndex((stored) => stored.eventId === record.eventId);
      if (index >= 0) {
        // Recorded by an earlier delivery that may have crashed before (or while) sending: react again
        // from the state it was recorded on.
        return {
          before: this.fold(records.slice(0, index)),
          after: this.fold(records),
          version: records.at(-1)?.version ?? 0,
          duplicate: true,
        };
      }
      const before = this.fold(records);
      const version = records.at(-1)?.version ?? 0;
      try {
        const appended = await this.options.store.append(
          streamId,
          [
            {
              ...record,
              metadata: {
                // The process's record answers to no command: its own id stands in for one.
                commandId: record.eventId,
                correlationId: cause.correlationId,
                causationId: cause.causationId,
                actor: { id: this.name, role: 'system' },
                occurredAt: this.now().toISOString(),
                schemaVersion: 1,
              },
            },
          ],
          { expectedVersion: version === 0 ? 'no_stream' : version },
        );
        const after: unknown = this.definition.manager.evolve(before, asObserved(record.data));
        return { before, after, version: appended.nextVersion, duplicate: false };
      } catch (error) {
        // Another handler of the same instance (the timeout poller, a second sagas process) got there
        // first: read again and go after it.
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_RECORD_ATTEMPTS) throw error;
      }
    }
  }

  private fold(records: readonly RecordedEvent[]): unknown {
    const { manager, recordTypes } = this.definition;
    let state: unknown = manager.initialState;
    for (const record of records) {
      if (record.type !== recordTypes.observed && record.type !== recordTypes.timeoutFired) continue;
      state = manager.evolve(state, asObserved(record.data));
    }
    return state;
  }

  private async perform(
    instance: string,
    actions: readonly ProcessAction<ProcessCommandBody, DomainEvent>[],
    cause: Cause,
  ): Promise<void> {
    const streamId = this.definition.streamId(instance);
    // In the manager's order: it may rely on one command going before another.
    for (const action of actions) {
      if (action.kind === 'schedule') {
        const dueAt = new Date(action.dueAt);
        await this.options.tables.schedule({
          process: this.name,
          instance,
          key: action.key,
          dueAt,
          event: { type: action.event.type, data: action.event.data as JsonValue },
          ...cause,
        });
        this.options.onScheduled?.(dueAt);
      } else {
        await this.send(action.command, {
          commandId: deterministicCommandId(streamId, action.key),
          ...cause,
          actor: { id: this.name, role: 'system' },
          occurredAt: this.now().toISOString(),
        });
      }
    }
  }

  private async send(command: ProcessCommandBody, metadata: CommandMetadata): Promise<void> {
    const { logger, metrics } = this.options;
    let reply: CommandReply;
    try {
      reply = await this.options.commands.send({ type: command.type, data: command.data, metadata });
    } catch (error) {
      metrics.command(command.type, 'failed');
      throw new CommandDeliveryError(
        `${command.type} ${metadata.commandId} was not delivered: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (reply.ok) {
      metrics.command(command.type, 'accepted');
      return;
    }
    if (isRetryableRejection(reply)) {
      metrics.command(command.type, 'failed');
      throw new CommandDeliveryError(
        `${command.type} ${metadata.commandId} not carried out (${reply.status} ${reply.code}: ${reply.message})`,
      );
    }
    // A domain rule refused it. Sending it again would be refused again; the process learns what happened
    // from the events (a rejection is an event where it matters, e.g. StockReservationRejected).
    metrics.command(command.type, 'rejected');
    logger.warn(
      {
        process: this.name,
        command: command.type,
        commandId: metadata.commandId,
        correlationId: metadata.correlationId,
        status: reply.status,
        code: reply.code,
        message: reply.message,
      },
      'process: command rejected; not retried',
    );
  }

  private async settle(instance: string, state: unknown, version: number): Promise<void> {
    const terminal = this.definition.manager.isTerminal(state);
    const now = this.now();
    await this.options.tables.saveInstance(
      this.name,
      instance,
      terminal ? 'terminal' : 'active',
      version,
      now,
    );
    if (terminal) await this.options.tables.cancelPending(this.name, instance, now);
  }
}

/** The input event a process record holds (both record types keep it as `{ type, data }` in their data). */
function asObserved(data: JsonValue): DomainEvent {
  const record = data as { type: string; data: unknown };
  return { type: record.type, data: record.data };
}
