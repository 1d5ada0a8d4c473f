import type { DomainEvent } from '../shared';
import { streamFoldFor } from './stream-kinds';

/** A stream's state after some of its events, folded by its decider. */
export interface FoldedState {
  readonly kind: string;
  readonly aggregate: string;
  /** The decider's own state value (see {@link toJsonState} for its JSON form). */
  readonly state: unknown;
}

/**
 * The state of `streamId` after `events` (its events in version order, from version 1), folded with the
 * domain's own `initialState` and `evolve`. Throws {@link StreamNotFoldable} for a stream kind no decider
 * owns. No events: the initial state (the aggregate did not exist yet).
 */
export function stateAt(streamId: string, events: readonly DomainEvent[]): FoldedState {
  const { kind, aggregate, initialState, evolve } = streamFoldFor(streamId);
  let state = initialState;
  // A plain loop: as-of reads fold whole streams on every request.
  for (const event of events) state = evolve(state, event);
  return { kind, aggregate, state };
}
