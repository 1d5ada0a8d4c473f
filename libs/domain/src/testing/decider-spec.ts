import type { Decider } from '../shared/decider';
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
