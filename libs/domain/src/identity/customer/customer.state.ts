import type { CustomerRole } from './customer.commands';

/** A reset link not yet spent: the hash of its token and when it expires (ISO-8601). */
export interface OutstandingReset {
  readonly tokenHash: string;
  readonly expiresAt: string;
}

/** No `CustomerRegistered` yet. */
export interface NoCustomer {
  readonly status: 'none';
}

/** An account. `resets` are the links sent since the last password change, oldest first. */
export interface RegisteredCustomer {
  readonly status: 'registered';
  readonly customerId: string;
  readonly email: string;
  readonly name: string;
  readonly role: CustomerRole;
  readonly resets: readonly OutstandingReset[];
}

export type CustomerState = NoCustomer | RegisteredCustomer;
