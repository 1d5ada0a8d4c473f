import type { CommandMetadata } from '../../shared';
import { deciderSpec } from '../../testing/decider-spec';
import type { CustomerCommand, CustomerRole } from './customer.commands';
import { customerDecider } from './customer.decider';
import {
  CustomerAlreadyRegistered,
  CustomerNotFound,
  InvalidCustomerName,
  InvalidCustomerRole,
  ResetTokenInvalid,
} from './customer.errors';
import type { CustomerEvent } from './customer.events';

const now = '2026-01-01T10:00:00.000Z';
const metadataAt = (occurredAt: string): CommandMetadata => ({
  commandId: 'cmd-1',
  correlationId: 'corr-1',
  causationId: 'cause-1',
  actor: { id: 'admin-1', role: 'admin' },
  occurredAt,
});

const command = <T extends CustomerCommand['type']>(
  type: T,
  data: Extract<CustomerCommand, { type: T }>['data'],
  occurredAt = now,
) => ({ type, data, metadata: metadataAt(occurredAt) }) as Extract<CustomerCommand, { type: T }>;

const customerId = '0190d5a8-0000-7000-8000-0000000000c1';
const email = 'ada@example.com';
const spec = deciderSpec(customerDecider);

const registered = (role: CustomerRole = 'customer'): CustomerEvent => ({
  type: 'CustomerRegistered',
  data: { customerId, email, name: 'Ada Lovelace', role },
});
const resetRequested = (tokenHash: string, expiresAt = '2026-01-01T11:00:00.000Z'): CustomerEvent => ({
  type: 'PasswordResetRequested',
  data: { customerId, tokenHash, expiresAt },
});
const register = (name = 'Ada Lovelace', role = 'customer') =>
  command('RegisterCustomer', { customerId, email, name, role: role as CustomerRole });
const resetWith = (tokenHash: string, occurredAt = now) =>
  command('ChangePassword', { customerId, via: 'reset', tokenHash }, occurredAt);

describe('customer', () => {
  describe('when not registered', () => {
    it('registers with a trimmed name', () => {
      spec.given([]).when(register('  Ada Lovelace ')).then([registered()]);
    });

    it('rejects an empty name', () => {
      spec.given([]).when(register('   ')).thenThrows(InvalidCustomerName, 'name');
    });

    it('rejects an unknown role', () => {
      spec.given([]).when(register('Ada', 'owner')).thenThrows(InvalidCustomerRole, 'role');
    });

    it('refuses a role change, a reset request and a password change', () => {
      spec
        .given([])
        .when(command('ChangeCustomerRole', { customerId, role: 'admin' }))
        .thenThrows(CustomerNotFound);
      spec
        .given([])
        .when(command('RequestPasswordReset', { customerId, tokenHash: 'h', expiresAt: now }))
        .thenThrows(CustomerNotFound);
      spec.given([]).when(resetWith('h')).thenThrows(CustomerNotFound);
    });
  });

  describe('when registered', () => {
    it('refuses to register the same account twice', () => {
      spec.given([registered()]).when(register()).thenThrows(CustomerAlreadyRegistered);
    });

    it('changes the role, remembering the previous one', () => {
      spec
        .given([registered()])
        .when(command('ChangeCustomerRole', { customerId, role: 'admin' }))
        .then([
          { type: 'CustomerRoleChanged', data: { customerId, role: 'admin', previousRole: 'customer' } },
        ]);
    });

    it('does nothing when the role is already held', () => {
      spec
        .given([registered('admin')])
        .when(command('ChangeCustomerRole', { customerId, role: 'admin' }))
        .thenNothingHappens();
    });

    it('rejects an unknown role', () => {
      spec
        .given([registered()])
        .when(command('ChangeCustomerRole', { customerId, role: 'root' as CustomerRole }))
        .thenThrows(InvalidCustomerRole, 'role');
    });

    it('records a reset request with the token hash only', () => {
      spec
        .given([registered()])
        .when(
          command('RequestPasswordReset', {
            customerId,
            tokenHash: 'hash-1',
            expiresAt: '2026-01-01T11:00:00.000Z',
          }),
        )
        .then([resetRequested('hash-1')]);
    });

    it('changes the password of a signed-in account', () => {
      spec
        .given([registered()])
        .when(command('ChangePassword', { customerId, via: 'change' }))
        .then([{ type: 'PasswordChanged', data: { customerId, via: 'change' } }]);
    });
  });

  describe('when a reset was requested', () => {
    const history = [registered(), resetRequested('hash-1'), resetRequested('hash-2')];

    it('changes the password with an outstanding token, also an older one', () => {
      spec
        .given(history)
        .when(resetWith('hash-1'))
        .then([{ type: 'PasswordChanged', data: { customerId, via: 'reset' } }]);
    });

    it('rejects a token that was never issued', () => {
      spec.given(history).when(resetWith('hash-x')).thenThrows(ResetTokenInvalid, 'tokenHash');
    });

    it('rejects an expired token', () => {
      spec
        .given(history)
        .when(resetWith('hash-1', '2026-01-01T11:00:00.000Z'))
        .thenThrows(ResetTokenInvalid, 'tokenHash');
    });

    it('rejects a token already spent, and every other token of before the change', () => {
      const spent = [...history, { type: 'PasswordChanged', data: { customerId, via: 'reset' } } as const];
      spec.given(spent).when(resetWith('hash-1')).thenThrows(ResetTokenInvalid, 'tokenHash');
      spec.given(spent).when(resetWith('hash-2')).thenThrows(ResetTokenInvalid, 'tokenHash');
    });

    it('sends no more links while five still work, and again once they expired', () => {
      const five = [registered(), ...['a', 'b', 'c', 'd', 'e'].map((hash) => resetRequested(hash))];
      const request = (occurredAt: string) =>
        command(
          'RequestPasswordReset',
          { customerId, tokenHash: 'f', expiresAt: '2026-01-01T12:00:00.000Z' },
          occurredAt,
        );
      spec.given(five).when(request(now)).thenNothingHappens();
      spec
        .given(five)
        .when(request('2026-01-01T11:00:00.000Z'))
        .then([resetRequested('f', '2026-01-01T12:00:00.000Z')]);
    });

    it('keeps only the newest outstanding tokens', () => {
      spec
        .given([registered(), ...['a', 'b', 'c', 'd', 'e', 'f'].map((hash) => resetRequested(hash))])
        .thenState({
          status: 'registered',
          customerId,
          email,
          name: 'Ada Lovelace',
          role: 'customer',
          resets: ['b', 'c', 'd', 'e', 'f'].map((tokenHash) => ({
            tokenHash,
            expiresAt: '2026-01-01T11:00:00.000Z',
          })),
        });
    });
  });
});
