import type { Decider } from '../shared/decider';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Given/when/then specification of a decider:
 * `spec.given([...events]).when(command).then([...events])` or `.thenThrows(ErrorClass)`.
 */
export function deciderSpec<Command, Event, State>(decider: Decider<Command, Event, State>) {
  return {
    given(history: readonly Event[]) {
      return {
        when(command: Command) {
          const run = () => {
            const state = history.reduce((s, e) => decider.evolve(s, e), decider.initialState);
            return decider.decide(command, state);
          };
          return {
            then(expected: readonly Event[]) {
              expect(run()).toEqual(expected);
            },
            thenNothingHappens() {
              expect(run()).toEqual([]);
            },
            thenThrows(errorClass: ErrorClass, field?: string) {
              let thrown: unknown;
              try {
                run();
              } catch (error) {
                thrown = error;
              }
              expect(thrown).toBeInstanceOf(errorClass);
              if (field !== undefined) expect(thrown).toHaveProperty('field', field);
            },
          };
        },
      };
    },
  };
}
