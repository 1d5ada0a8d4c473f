import { Inject, Injectable } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import {
  type CustomerEmailReserved,
  customerDecider,
  customerEmailStreamId,
  type CustomerEvent,
  type CustomerRole,
  customerStreamId,
  type RegisteredCustomer,
} from '@tally/domain';
import { ConcurrencyError, type EventStore, type RecordedEvent } from '@tally/event-store';
import { EVENT_STORE, HttpProblem, SQL_CLIENT, uuidv7 } from '@tally/platform';
import type { CommandContext } from '../shared/command-edge';
import type { CommandOutcome } from '../shared/decide.command';
import { CLOCK, type Clock } from '../shared/clock';
import { CustomerHandler } from './customer.handler';
import { emailDigest } from './email';

/**
 * How long a reservation without its account is left to the sign-up that made it. After that, that sign-up
 * is taken to have died between its two appends and a new sign-up for the email completes it. A sign-up
 * takes well under a second; the margin makes it practically impossible that two live sign-ups write the
 * credentials of one account.
 */
export const STALE_RESERVATION_MS = 60_000;

/** An account with the stream version and checkpoint it was read at. */
export interface LoadedCustomer {
  readonly customer: RegisteredCustomer;
  readonly version: number;
  readonly checkpoint: string;
}

/** 409: the email belongs to an account. */
export function emailTaken(): HttpProblem {
  return new HttpProblem(409, 'EMAIL_TAKEN', 'Email taken', 'An account with this email already exists.', [
    { field: 'email', message: 'is already registered' },
  ]);
}

/**
 * Accounts on the write side: finding one by email (through its reservation stream, which is consistent
 * immediately, unlike a read model), loading one, registering one, and their password hashes.
 */
@Injectable()
export class Accounts {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly customers: CustomerHandler,
  ) {}

  /** The account id reserved for a normalised email, or null. */
  async idForEmail(email: string): Promise<string | null> {
    const reservation = await this.reservation(email);
    return reservation?.customerId ?? null;
  }

  /** The account, or null when the stream is empty. */
  async load(customerId: string): Promise<LoadedCustomer | null> {
    const history = await this.store.readStream(customerStreamId(customerId));
    const last = history.at(-1);
    if (!last) return null;
    const state = history.reduce(
      (current, event) =>
        customerDecider.evolve(current, { type: event.type, data: event.data } as CustomerEvent),
      customerDecider.initialState,
    );
    if (state.status === 'none') return null;
    return { customer: state, version: last.version, checkpoint: last.position };
  }

  /** The account of a normalised email, or null. */
  async findByEmail(email: string): Promise<LoadedCustomer | null> {
    const id = await this.idForEmail(email);
    return id === null ? null : this.load(id);
  }

  async passwordHash(customerId: string): Promise<string | null> {
    const { rows } = await this.sql.query<{ password_hash: string }>(
      'SELECT password_hash FROM customer_credentials WHERE customer_id = $1',
      [customerId],
    );
    return rows[0]?.password_hash ?? null;
  }

  async setPasswordHash(customerId: string, hash: string): Promise<void> {
    await this.sql.query(
      `INSERT INTO customer_credentials (customer_id, password_hash, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (customer_id) DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_at = EXCLUDED.updated_at`,
      [customerId, hash, this.clock.now().toISOString()],
    );
  }

  /**
   * Registers an account for a normalised email, crash-safe in three steps:
   * 1. reserve the email: append `CustomerEmailReserved` to `customer-email-<digest>` expecting no stream,
   *    so of two sign-ups for one email exactly one gets past here;
   * 2. store the password hash (keyed by the account id, not yet visible to anyone: sign-in finds accounts
   *    through their `CustomerRegistered`);
   * 3. append `CustomerRegistered`: from here on the account exists, and its password already works.
   * A crash after 1 or 2 leaves a reservation without an account. A later sign-up for that email (or a retry
   * with the same Idempotency-Key at once) completes it with its own password and name instead of the email
   * being blocked forever: the later sign-up appends a new reservation for a fresh account id at the
   * version it read, so of two sign-ups racing for one abandoned reservation exactly one wins, and no two
   * sign-ups ever write the password of the same account id. The email's account is the last reservation's.
   *
   * The recorded actor is the new account itself. Throws 409 EMAIL_TAKEN when the email has an account.
   */
  async register(
    input: {
      readonly email: string;
      readonly name: string;
      readonly role: CustomerRole;
      readonly passwordHash: string;
    },
    context: CommandContext,
  ): Promise<{ customerId: string; outcome: CommandOutcome }> {
    const reservationStream = customerEmailStreamId(emailDigest(input.email));
    let customerId = uuidv7();
    const as = (id: string): CommandContext => ({
      ...context,
      metadata: { ...context.metadata, actor: { id, role: input.role } },
    });
    const reserve = (id: string, expectedVersion: 'no_stream' | number) => {
      const reserved: CustomerEmailReserved = { type: 'CustomerEmailReserved', data: { customerId: id } };
      return this.store.append(
        reservationStream,
        [
          {
            eventId: uuidv7(),
            type: reserved.type,
            data: reserved.data,
            metadata: { ...as(id).metadata, causationId: context.metadata.commandId, schemaVersion: 1 },
          },
        ],
        { expectedVersion },
      );
    };
    try {
      await reserve(customerId, 'no_stream');
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      const existing = await this.reservationEvent(input.email);
      if (!existing) throw error;
      customerId = (existing.data as CustomerEmailReserved['data']).customerId;
      const ours = existing.metadata.commandId === context.metadata.commandId;
      const history = await this.store.readStream(customerStreamId(customerId), { toVersion: 1 });
      const registeredBy = history[0]?.metadata.commandId;
      // A retry of this very command that got further before: finish it (the decider answers a duplicate).
      if (registeredBy !== undefined && registeredBy !== context.metadata.commandId) throw emailTaken();
      if (registeredBy === undefined && !ours) {
        const age = this.clock.now().getTime() - Date.parse(existing.metadata.occurredAt);
        if (!(age >= STALE_RESERVATION_MS)) throw emailTaken();
        // Take the abandoned reservation over under a fresh account id, at the version read: of two sign-ups
        // racing for it exactly one appends, and the abandoned id (with any hash stored for it) is never used,
        // so the loser's password can never end up on the winner's account.
        customerId = uuidv7();
        try {
          await reserve(customerId, existing.version);
        } catch (takeOverError) {
          if (takeOverError instanceof ConcurrencyError) throw emailTaken();
          throw takeOverError;
        }
      }
    }
    await this.setPasswordHash(customerId, input.passwordHash);
    try {
      const outcome = await this.customers.execute(
        {
          type: 'RegisterCustomer',
          data: { customerId, email: input.email, name: input.name, role: input.role },
          metadata: as(customerId).metadata,
        },
        as(customerId),
      );
      return { customerId, outcome };
    } catch (error) {
      // Another sign-up completed the same stale reservation first.
      const code = (error as { code?: unknown }).code;
      if (
        error instanceof ConcurrencyError ||
        code === 'CUSTOMER_ALREADY_REGISTERED' ||
        code === 'CONCURRENT_MODIFICATION'
      )
        throw emailTaken();
      throw error;
    }
  }

  /** The email's current reservation: the last one (an abandoned one is taken over by a later sign-up). */
  private async reservationEvent(email: string): Promise<RecordedEvent | undefined> {
    const events = await this.store.readStream(customerEmailStreamId(emailDigest(email)));
    return events.at(-1);
  }

  private async reservation(email: string): Promise<CustomerEmailReserved['data'] | undefined> {
    return (await this.reservationEvent(email))?.data as CustomerEmailReserved['data'] | undefined;
  }
}
