/**
 * Broken business rules are typed domain errors with a stable `code`. The edge maps the kind to an HTTP
 * status (DESIGN.md §9); the domain never knows about HTTP.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly kind: 'illegal_state' | 'not_found' | 'unprocessable';
  /** The command field the error is about, when there is one (e.g. `quantity`). */
  readonly field: string | undefined;

  constructor(message: string, field?: string) {
    super(message);
    this.name = new.target.name;
    this.field = field;
  }
}

/** The command is valid but not allowed in the aggregate's current state (HTTP 409). */
export abstract class IllegalStateError extends DomainError {
  readonly kind = 'illegal_state' as const;
}

/** The command addresses an aggregate that does not exist (HTTP 404). */
export abstract class AggregateNotFoundError extends DomainError {
  readonly kind = 'not_found' as const;
}

/** The command is well-formed but cannot be processed, e.g. it names something unknown (HTTP 422). */
export abstract class UnprocessableCommandError extends DomainError {
  readonly kind = 'unprocessable' as const;
}
