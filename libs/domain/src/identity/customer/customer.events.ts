import type { DomainEvent } from '../../shared';
import type { CustomerRole } from './customer.commands';

/** An account was opened. No password material: events are immutable and exported to auditors. */
export type CustomerRegistered = DomainEvent<
  'CustomerRegistered',
  { readonly customerId: string; readonly email: string; readonly name: string; readonly role: CustomerRole }
>;

/** An admin changed the account's role. */
export type CustomerRoleChanged = DomainEvent<
  'CustomerRoleChanged',
  { readonly customerId: string; readonly role: CustomerRole; readonly previousRole: CustomerRole }
>;

/** A password-reset link was sent; `tokenHash` is the SHA-256 (base64url) of its token, never the token. */
export type PasswordResetRequested = DomainEvent<
  'PasswordResetRequested',
  { readonly customerId: string; readonly tokenHash: string; readonly expiresAt: string }
>;

/** The password was changed, through a reset link or by the signed-in account. Every reset link is spent. */
export type PasswordChanged = DomainEvent<
  'PasswordChanged',
  { readonly customerId: string; readonly via: 'reset' | 'change' }
>;

/** Every event of a `customer-<uuid>` stream. */
export type CustomerEvent =
  CustomerRegistered | CustomerRoleChanged | PasswordResetRequested | PasswordChanged;

/**
 * The only event of a `customer-email-<digest>` stream: the email whose digest names the stream belongs to
 * `customerId`. Appended with `expectedVersion: 'no_stream'`, so at most one account holds an email.
 */
export type CustomerEmailReserved = DomainEvent<'CustomerEmailReserved', { readonly customerId: string }>;

/** The stream of an account: `customer-<customerId>`. */
export const customerStreamId = (customerId: string): string => `customer-${customerId}`;

/**
 * The reservation stream of an email: `customer-email-<digest>`, where the digest (SHA-256 hex of the
 * trimmed, lower-cased email) is computed at the edge, so the address itself is not in the stream name.
 */
export const customerEmailStreamId = (emailDigest: string): string => `customer-email-${emailDigest}`;

/** Business limits of an account. */
export const CUSTOMER_LIMITS = {
  /** A reset link works for one hour. */
  resetTokenTtlMs: 60 * 60 * 1000,
  /** Reset links a customer can hold at once; requesting another drops the oldest. */
  maxOutstandingResets: 5,
  maxNameLength: 200,
} as const;
