/**
 * A decider is an aggregate as plain data and pure functions (see STYLE.md).
 *
 * - `decide` holds every business rule: it turns a command into the events that record its effect,
 *   returns `[]` for a command that changes nothing, and throws a {@link DomainError} for a broken rule.
 * - `evolve` is total: it folds one event into the state and never throws.
 */
export interface Decider<Command, Event, State> {
  readonly initialState: State;
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  isTerminal?(state: State): boolean;
}

/** Folds a history of events from the decider's initial state. */
export function fold<Command, Event, State>(
  decider: Decider<Command, Event, State>,
  events: readonly Event[],
): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState);
}

/** A domain event as a decider sees it: a past-tense name and its data. The envelope is added at the edge. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/** Who issued a command. */
export interface Actor {
  readonly id: string;
  readonly role: 'customer' | 'guest' | 'admin' | 'auditor' | 'analyst' | 'system';
}

/**
 * What every command carries besides its data. Time and ids come in here so that `decide` stays pure.
 */
export interface CommandMetadata {
  readonly commandId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly actor: Actor;
  /** ISO-8601 instant at which the command was issued. */
  readonly occurredAt: string;
}

/** A command: an imperative name, its data and its metadata. */
export interface DomainCommand<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
  readonly metadata: CommandMetadata;
}

/** Exhaustiveness guard for the final `default` of a `switch` over a discriminated union. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
