import { DomainError } from '../shared';

/**
 * The stream holds records that no decider folds into a state (the order-number sequence, email
 * reservations, search observations, …): there is nothing to show "as of" a moment (HTTP 422).
 */
export class StreamNotFoldable extends DomainError {
  readonly code = 'STREAM_NOT_FOLDABLE';
  readonly kind = 'unprocessable' as const;

  constructor(
    readonly streamId: string,
    readonly streamKind: string,
  ) {
    super(
      `Streams of kind "${streamKind}" have no decider to fold their events into a state (${streamId}).`,
      'streamId',
    );
  }
}
