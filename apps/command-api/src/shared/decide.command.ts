import { Command } from '@nestjs/cqrs';
import type { Decider, DomainCommand, DomainEvent } from '@tally/domain';
import type { Checkpoint } from '@tally/event-store';
import type { RetryPolicy } from './retry-policy';

/** What a command did to its stream. */
export interface CommandOutcome {
  readonly streamId: string;
  /** The stream's version afterwards (the response's ETag). */
  readonly version: number;
  /** An already-committed checkpoint at or after the command's events (the `Tally-Consistency` token). */
  readonly checkpoint: Checkpoint;
  /** Events appended by this execution: 0 for a no-op or for a command the stream already holds. */
  readonly appended: number;
}

export interface DecideOptions {
  /** The version the client based the change on (`If-Match`); a different current version is a 412. */
  readonly expectedVersion?: number | undefined;
  /**
   * Retry on a lost race, for commands that commute. Without it (or with `expectedVersion`) a lost race is
   * reported to the client.
   */
  readonly retry?: RetryPolicy | undefined;
}

/**
 * The one message on the CommandBus: run `command` through `decider` against `streamId`.
 * Every context wraps its commands in it; {@link DeciderCommandHandler} executes them all.
 */
export class Decide<C extends DomainCommand, E extends DomainEvent, S> extends Command<CommandOutcome> {
  constructor(
    readonly decider: Decider<C, E, S>,
    readonly streamId: string,
    readonly command: C,
    readonly options: DecideOptions = {},
  ) {
    super();
  }
}
