/**
 * A process manager coordinates aggregates over time (Chassaing's shape, DESIGN.md §7):
 *
 * - `evolve` folds one observed event into the state (total, never throws);
 * - `react` returns what to do about an event, given the state BEFORE it;
 * - `resume` returns what must (still) be done in a state — run after a restart so nothing is left half-way;
 * - `isTerminal` says the process needs no more attention.
 *
 * Actions carry a deterministic `key` (unique within one process instance): the runtime derives each
 * command's `commandId` from it, so sending the same action again (redelivery, resume) is harmless.
 */
export interface ProcessManager<Event, Action, State> {
  readonly initialState: State;
  evolve(state: State, event: Event): State;
  react(state: State, event: Event): Action[];
  resume(state: State): Action[];
  isTerminal(state: State): boolean;
}

/** Send a command, identified by `key` within the process instance. */
export interface SendCommand<Command> {
  readonly kind: 'send';
  readonly key: string;
  readonly command: Command;
}

/** Deliver `event` back to this process at `dueAt` (ISO instant) unless the process has moved on. */
export interface ScheduleTimeout<TimeoutEvent> {
  readonly kind: 'schedule';
  readonly key: string;
  readonly dueAt: string;
  readonly event: TimeoutEvent;
}
