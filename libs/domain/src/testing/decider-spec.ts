import type { Decider } from '../shared/decider';
import type { ProcessManager } from '../shared/process-manager';
import { DomainError } from '../shared/errors';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Freezes a value and everything it reaches, so that a decider which mutates its state or an event
 * fails loudly in a spec instead of corrupting a fold in production.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * Given/when/then specification of a decider:
 * `spec.given([...events]).when(command).then([...events])`, `.thenNothingHappens()` or
 * `.thenThrows(ErrorClass, 'field')`; `spec.given([...events]).thenState(state)` checks `evolve`.
 *
 * History, state and command are deep-frozen, so a `decide` or `evolve` that mutates its input fails.
 */
export function deciderSpec<Command, Event, State>(decider: Decider<Command, Event, State>) {
  const fold = (history: readonly Event[]): State =>
    history.reduce(
      (state, event) => deepFreeze(decider.evolve(state, deepFreeze(event))),
      decider.initialState,
    );

  return {
    given(history: readonly Event[]) {
      return {
        /** Asserts the state that folding the history from `initialState` yields. */
        thenState(expected: State) {
          expect(fold(history)).toEqual(expected);
        },
        when(command: Command) {
          const run = (): Event[] => {
            const events = decider.decide(deepFreeze(command), fold(history));
            // Whatever `decide` emits must fold without throwing (`evolve` is total).
            fold([...history, ...events]);
            return events;
          };
          return {
            then(expected: readonly Event[]) {
              expect(run()).toEqual(expected);
            },
            thenNothingHappens() {
              expect(run()).toEqual([]);
            },
            /** Asserts that `decide` throws `errorClass` and, when given, that the error names `field`. */
            thenThrows(errorClass: ErrorClass, field?: string) {
              let thrown: unknown;
              let emitted: Event[] | undefined;
              try {
                emitted = run();
              } catch (error) {
                thrown = error;
              }
              if (thrown === undefined) {
                throw new Error(`Expected ${errorClass.name} but decide returned ${JSON.stringify(emitted)}`);
              }
              expect(thrown).toBeInstanceOf(errorClass);
              expect(thrown).toBeInstanceOf(DomainError);
              expect((thrown as DomainError).code).toMatch(/^[A-Z][A-Z0-9_]*$/);
              expect(thrown).toHaveProperty('field', field);
            },
          };
        },
      };
    },
  };
}

/** What a process-manager spec needs to know of an action: its kind and key (see `ProcessManager`). */
interface KeyedAction {
  readonly kind: string;
  readonly key: string;
}

/** The command a `send` action carries, and the event a `schedule` action delivers, as a spec states them. */
type Sent<Action> = Action extends { readonly kind: 'send' } ? Omit<Action, 'kind'> : never;
type Scheduled<Action> = Action extends { readonly kind: 'schedule' } ? Omit<Action, 'kind'> : never;

function assertUniqueKeys(actions: readonly KeyedAction[]): void {
  const keys = actions.map((action) => action.key);
  expect(keys).toEqual([...new Set(keys)]);
}

/**
 * Given/when/then specification of a process manager:
 * `spec.given([...events]).when(event).thenSends([{ key, command }])`, `.thenSchedules([{ key, dueAt, event }])`
 * (both may be chained on one `when`), `.then([...actions])` or `.thenNothingHappens()`;
 * `spec.given([...events]).thenResumes([...actions])`, `.thenState(state)` and `.thenTerminal(boolean)`.
 *
 * `thenSends` states every command sent, in order, and `thenSchedules` every timeout scheduled. History,
 * state and event are deep-frozen, so a manager that mutates its input fails; every reaction and every
 * resume must use each key at most once.
 */
export function processSpec<Event, Action extends KeyedAction, State>(
  manager: ProcessManager<Event, Action, State>,
) {
  const fold = (history: readonly Event[]): State =>
    history.reduce(
      (state, event) => deepFreeze(manager.evolve(state, deepFreeze(event))),
      deepFreeze(manager.initialState),
    );
  const sends = (actions: readonly Action[]) =>
    actions.filter((action) => action.kind === 'send').map(({ kind: _kind, ...rest }) => rest);
  const schedules = (actions: readonly Action[]) =>
    actions.filter((action) => action.kind === 'schedule').map(({ kind: _kind, ...rest }) => rest);

  return {
    given(history: readonly Event[]) {
      return {
        /** Asserts the state that folding the history from `initialState` yields. */
        thenState(expected: State) {
          expect(fold(history)).toEqual(expected);
        },
        /** Asserts everything `resume` returns for the folded state, in order. */
        thenResumes(expected: readonly Action[]) {
          const actions = manager.resume(fold(history));
          assertUniqueKeys(actions);
          expect(actions).toEqual(expected);
        },
        thenTerminal(expected: boolean) {
          expect(manager.isTerminal(fold(history))).toBe(expected);
        },
        when(event: Event) {
          const run = (): Action[] => {
            const state = fold(history);
            const actions = manager.react(state, deepFreeze(event));
            // Whatever the event, folding it must not throw (`evolve` is total).
            manager.evolve(state, event);
            assertUniqueKeys(actions);
            return actions;
          };
          const assertions = {
            then(expected: readonly Action[]) {
              expect(run()).toEqual(expected);
              return assertions;
            },
            thenSends(expected: readonly Sent<Action>[]) {
              expect(sends(run())).toEqual(expected);
              return assertions;
            },
            thenSchedules(expected: readonly Scheduled<Action>[]) {
              expect(schedules(run())).toEqual(expected);
              return assertions;
            },
            thenNothingHappens() {
              expect(run()).toEqual([]);
              return assertions;
            },
          };
          return assertions;
        },
      };
    },
  };
}
