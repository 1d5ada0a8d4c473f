import type { DomainCommand } from '../../shared';

/** Roles an account holds. `customer` shops; the others work in the back office. */
export const CUSTOMER_ROLES = ['customer', 'admin', 'auditor', 'analyst'] as const;
export type CustomerRole = (typeof CUSTOMER_ROLES)[number];

/**
 * Open an account. `email` arrives normalised (trimmed, lower-cased) and its uniqueness is already
 * reserved at the edge; the password never enters a command or an event (its hash lives in a table).
 */
export type RegisterCustomer = DomainCommand<
  'RegisterCustomer',
  { readonly customerId: string; readonly email: string; readonly name: string; readonly role: CustomerRole }
>;

/** An admin gives an account another role; it takes effect at the account's next sign-in or refresh. */
export type ChangeCustomerRole = DomainCommand<
  'ChangeCustomerRole',
  { readonly customerId: string; readonly role: CustomerRole }
>;

/**
 * Record that a reset link was sent: only the SHA-256 of its token is kept, with when it stops working
 * (ISO-8601, decided at the edge from the command's time).
 */
export type RequestPasswordReset = DomainCommand<
  'RequestPasswordReset',
  { readonly customerId: string; readonly tokenHash: string; readonly expiresAt: string }
>;

/**
 * Change the password: `via: 'reset'` spends a reset token (its hash must match an outstanding,
 * unexpired request); `via: 'change'` is a signed-in account changing its own password.
 */
export type ChangePassword = DomainCommand<
  'ChangePassword',
  | { readonly customerId: string; readonly via: 'reset'; readonly tokenHash: string }
  | { readonly customerId: string; readonly via: 'change' }
>;

/** Every command the customer decider accepts. */
export type CustomerCommand = RegisterCustomer | ChangeCustomerRole | RequestPasswordReset | ChangePassword;
