import type { DomainEvent, ProcessManager, ScheduleTimeout, SendCommand } from '@tally/domain';

/** A command as a process emits it: the runtime adds the metadata and the deterministic command id. */
export interface ProcessCommandBody {
  readonly type: string;
  readonly data: unknown;
}

/** What a process may do in reaction to an event: send a command, or schedule a timeout event. */
export type ProcessAction<C extends ProcessCommandBody, T extends DomainEvent> =
  SendCommand<C> | ScheduleTimeout<T>;

/**
 * A process manager as the runtime hosts it: the pure manager from `@tally/domain` plus what the runtime
 * must know around it. One definition runs as one durable consumer (named `name`).
 *
 * @typeParam E - every event the manager observes (store events and its own timeout events).
 * @typeParam C - the commands it sends.
 * @typeParam T - the timeout events it schedules (delivered back to it as inputs, so `T` is part of `E`).
 * @typeParam S - its state, folded from its own stream.
 */
export interface ProcessDefinition<E extends DomainEvent, C extends ProcessCommandBody, T extends E, S> {
  /** The process's name: consumer name, actor id of its commands, `process` label of its metrics. */
  readonly name: string;
  readonly manager: ProcessManager<E, ProcessAction<C, T>, S>;
  /** The store's event types the process consumes (its timeout events come from the runtime, not the store). */
  readonly eventTypes: readonly string[];
  /** The instance an input event belongs to (e.g. its `orderId`), or undefined when it belongs to none. */
  instanceOf(event: DomainEvent): string | undefined;
  /** The instance's own stream, where the process records what it observed (e.g. `checkout-<orderId>`). */
  streamId(instance: string): string;
  /** Event types of the process's stream (listed in its ADR): an observed store event, a fired timeout. */
  readonly recordTypes: { readonly observed: string; readonly timeoutFired: string };
}

/** A definition whose type parameters no longer matter to the caller (the app's registry of processes). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProcessDefinition = ProcessDefinition<any, any, any, any>;
