import { AggregateNotFoundError, IllegalStateError, UnprocessableCommandError } from '../../shared';
import { CUSTOMER_LIMITS } from './customer.events';

/** `RegisterCustomer` for an account id that is already in use. */
export class CustomerAlreadyRegistered extends IllegalStateError {
  readonly code = 'CUSTOMER_ALREADY_REGISTERED';
  constructor(customerId: string) {
    super(`Customer ${customerId} is already registered`);
  }
}

/** A command about an account that does not exist. */
export class CustomerNotFound extends AggregateNotFoundError {
  readonly code = 'CUSTOMER_NOT_FOUND';
  constructor(customerId: string) {
    super(`Customer ${customerId} does not exist`);
  }
}

/** A role that is not one of customer, admin, auditor, analyst. */
export class InvalidCustomerRole extends UnprocessableCommandError {
  readonly code = 'INVALID_CUSTOMER_ROLE';
  constructor(role: string) {
    super(`Role must be customer, admin, auditor or analyst, got "${role}"`, 'role');
  }
}

/** An empty name, or one longer than the limit. */
export class InvalidCustomerName extends UnprocessableCommandError {
  readonly code = 'INVALID_CUSTOMER_NAME';
  constructor() {
    super(`Name must have 1 to ${CUSTOMER_LIMITS.maxNameLength} characters`, 'name');
  }
}

/** A reset token that was never issued for this account, has expired, or was already spent. */
export class ResetTokenInvalid extends UnprocessableCommandError {
  readonly code = 'RESET_TOKEN_INVALID';
  constructor() {
    super('The reset link is invalid, expired or already used', 'tokenHash');
  }
}
