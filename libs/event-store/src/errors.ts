import type { ExpectedVersion } from './event-store.port';

/** The stream's version was not what the writer expected (HTTP 412 at the edge). */
export class ConcurrencyError extends Error {
  readonly code = 'CONCURRENCY_CONFLICT';

  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number | 'no_stream',
  ) {
    super(`Stream ${streamId}: expected version ${String(expected)}, actual ${String(actual)}`);
    this.name = 'ConcurrencyError';
  }
}

/** The events handed to `append` are not valid (empty batch, duplicate ids within the batch, ...). */
export class InvalidAppendError extends Error {
  readonly code = 'INVALID_APPEND';

  constructor(message: string) {
    super(message);
    this.name = 'InvalidAppendError';
  }
}
