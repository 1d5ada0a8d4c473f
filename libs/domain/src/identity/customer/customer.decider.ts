import { assertNever, instantToEpochMs } from '../../shared';
import type { Decider } from '../../shared';
import {
  type ChangeCustomerRole,
  type ChangePassword,
  CUSTOMER_ROLES,
  type CustomerCommand,
  type CustomerRole,
  type RegisterCustomer,
  type RequestPasswordReset,
} from './customer.commands';
import {
  CustomerAlreadyRegistered,
  CustomerNotFound,
  InvalidCustomerName,
  InvalidCustomerRole,
  ResetTokenInvalid,
} from './customer.errors';
import { CUSTOMER_LIMITS, type CustomerEvent } from './customer.events';
import type { CustomerState, RegisteredCustomer } from './customer.state';

const initialState: CustomerState = { status: 'none' };

const isRole = (role: string): role is CustomerRole => (CUSTOMER_ROLES as readonly string[]).includes(role);

function registered(state: CustomerState, customerId: string): RegisteredCustomer {
  if (state.status === 'none') throw new CustomerNotFound(customerId);
  return state;
}

function register({ data }: RegisterCustomer, state: CustomerState): CustomerEvent[] {
  if (state.status !== 'none') throw new CustomerAlreadyRegistered(data.customerId);
  if (!isRole(data.role)) throw new InvalidCustomerRole(data.role);
  const name = data.name.trim();
  if (name.length === 0 || name.length > CUSTOMER_LIMITS.maxNameLength) throw new InvalidCustomerName();
  return [
    {
      type: 'CustomerRegistered',
      data: { customerId: data.customerId, email: data.email, name, role: data.role },
    },
  ];
}

function changeRole({ data }: ChangeCustomerRole, state: CustomerState): CustomerEvent[] {
  const customer = registered(state, data.customerId);
  if (!isRole(data.role)) throw new InvalidCustomerRole(data.role);
  if (customer.role === data.role) return [];
  return [
    {
      type: 'CustomerRoleChanged',
      data: { customerId: customer.customerId, role: data.role, previousRole: customer.role },
    },
  ];
}

/** Reset links of `customer` that still work at `occurredAt`. */
export function liveResets(customer: RegisteredCustomer, occurredAt: string): number {
  const now = instantToEpochMs(occurredAt) ?? Number.POSITIVE_INFINITY;
  return customer.resets.filter((reset) => (instantToEpochMs(reset.expiresAt) ?? 0) > now).length;
}

function requestReset({ data, metadata }: RequestPasswordReset, state: CustomerState): CustomerEvent[] {
  const customer = registered(state, data.customerId);
  // Links last an hour, so this caps reset mail at a few per hour per account (no mailbox flooding); the
  // request is answered the same either way, so nothing tells the caller.
  if (liveResets(customer, metadata.occurredAt) >= CUSTOMER_LIMITS.maxOutstandingResets) return [];
  return [
    {
      type: 'PasswordResetRequested',
      data: { customerId: customer.customerId, tokenHash: data.tokenHash, expiresAt: data.expiresAt },
    },
  ];
}

function changePassword({ data, metadata }: ChangePassword, state: CustomerState): CustomerEvent[] {
  const customer = registered(state, data.customerId);
  if (data.via === 'reset') {
    // Spent links are gone from `resets` (every password change clears them), so this is also single use.
    const reset = customer.resets.find((candidate) => candidate.tokenHash === data.tokenHash);
    const now = instantToEpochMs(metadata.occurredAt);
    const expiresAt = reset === undefined ? null : instantToEpochMs(reset.expiresAt);
    if (now === null || expiresAt === null || now >= expiresAt) throw new ResetTokenInvalid();
  }
  return [{ type: 'PasswordChanged', data: { customerId: customer.customerId, via: data.via } }];
}

function decide(command: CustomerCommand, state: CustomerState): CustomerEvent[] {
  switch (command.type) {
    case 'RegisterCustomer':
      return register(command, state);
    case 'ChangeCustomerRole':
      return changeRole(command, state);
    case 'RequestPasswordReset':
      return requestReset(command, state);
    case 'ChangePassword':
      return changePassword(command, state);
    default:
      return assertNever(command);
  }
}

function evolve(state: CustomerState, event: CustomerEvent): CustomerState {
  switch (event.type) {
    case 'CustomerRegistered':
      return { status: 'registered', ...event.data, resets: [] };
    case 'CustomerRoleChanged':
      return state.status === 'none' ? state : { ...state, role: event.data.role };
    case 'PasswordResetRequested':
      return state.status === 'none'
        ? state
        : {
            ...state,
            resets: [
              ...state.resets,
              { tokenHash: event.data.tokenHash, expiresAt: event.data.expiresAt },
            ].slice(-CUSTOMER_LIMITS.maxOutstandingResets),
          };
    case 'PasswordChanged':
      return state.status === 'none' ? state : { ...state, resets: [] };
    default:
      return state;
  }
}

/**
 * An account (`customer-<uuid>`): who it is, its role, and the password-reset links it may still spend.
 * Credentials are not part of it (see the `customer_credentials` table in command-api).
 */
export const customerDecider: Decider<CustomerCommand, CustomerEvent, CustomerState> = {
  initialState,
  decide,
  evolve,
};

/** The account a history describes, or null before `CustomerRegistered`. */
export function customerOf(state: CustomerState): RegisteredCustomer | null {
  return state.status === 'none' ? null : state;
}
