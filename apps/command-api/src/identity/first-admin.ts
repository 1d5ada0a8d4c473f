import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { type CustomerEvent, customerDecider, type CustomerState } from '@tally/domain';
import type { EventStore } from '@tally/event-store';
import {
  APP_CONFIG,
  type AppConfig,
  EVENT_STORE,
  GUEST,
  HttpProblem,
  LOGGER,
  type Logger,
  uuidv7,
} from '@tally/platform';
import type { CommandContext } from '../shared/command-edge';
import { CLOCK, type Clock } from '../shared/clock';
import { Accounts } from './accounts';
import { emailSchema } from './email';
import { PasswordHasher } from './password-hasher';
import { passwordWeakness } from './password-policy';

/** The account embedded mode creates when no admin exists and none is configured. */
export const EMBEDDED_ADMIN_EMAIL = 'admin@tally.local';

/** Whether embedded mode may create {@link EMBEDDED_ADMIN_EMAIL} (off in tests unless asked for). */
export const EMBEDDED_ADMIN = Symbol('EMBEDDED_ADMIN');

/**
 * The first admin, at start (idempotent, safe with several instances starting at once):
 * - with TALLY_ADMIN_EMAIL and TALLY_ADMIN_PASSWORD: registers that account as admin unless an account
 *   already has the email (it is then left as it is: the environment never resets a password or a role);
 * - in embedded mode without them, when no account is an admin: registers admin@tally.local with a random
 *   password, prints it once in a banner and writes it to `<TALLY_DATA_DIR>/admin-credentials.txt` (0600).
 */
@Injectable()
export class FirstAdmin implements OnApplicationBootstrap {
  constructor(
    private readonly accounts: Accounts,
    private readonly hasher: PasswordHasher,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(EMBEDDED_ADMIN) private readonly embeddedAdmin: boolean,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { TALLY_ADMIN_EMAIL: configuredEmail, TALLY_ADMIN_PASSWORD: configuredPassword } = this.config;
    if (configuredEmail && configuredPassword) {
      const email = emailSchema.parse(configuredEmail);
      const weakness = passwordWeakness(configuredPassword, email);
      if (weakness !== null) this.logger.warn(`TALLY_ADMIN_PASSWORD ${weakness}; change it after signing in`);
      if (await this.register(email, configuredPassword)) {
        this.logger.info({ email }, 'first admin registered from TALLY_ADMIN_EMAIL');
      }
      return;
    }
    if (this.config.mode !== 'embedded' || !this.embeddedAdmin || (await this.anyAdmin())) return;
    const password = randomBytes(18).toString('base64url');
    if (!(await this.register(EMBEDDED_ADMIN_EMAIL, password))) return;
    const dir = resolve(this.config.TALLY_DATA_DIR);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'admin-credentials.txt');
    writeFileSync(file, `email: ${EMBEDDED_ADMIN_EMAIL}\npassword: ${password}\n`, { mode: 0o600 });
    const line = '='.repeat(72);
    process.stdout.write(
      `\n${line}\n  Tally admin account created (shown once; also in ${file})\n` +
        `  email:    ${EMBEDDED_ADMIN_EMAIL}\n  password: ${password}\n${line}\n\n`,
    );
  }

  /** True when this call registered the account; false when the email already had one. */
  private async register(email: string, password: string): Promise<boolean> {
    if ((await this.accounts.idForEmail(email)) !== null && (await this.accounts.findByEmail(email)) !== null)
      return false;
    const context: CommandContext = {
      metadata: {
        commandId: uuidv7(),
        correlationId: 'first-admin',
        causationId: 'first-admin',
        actor: { id: 'command-api', role: 'system' },
        occurredAt: this.clock.now().toISOString(),
      },
      expectedVersion: undefined,
      consistencyToken: undefined,
      principal: GUEST,
    };
    try {
      await this.accounts.register(
        { email, name: 'Administrator', role: 'admin', passwordHash: await this.hasher.hash(password) },
        context,
      );
      return true;
    } catch (error) {
      // Another instance registered it meanwhile (or an earlier start is still within its grace period).
      if (error instanceof HttpProblem && error.code === 'EMAIL_TAKEN') return false;
      throw error;
    }
  }

  /** Whether any account holds the admin role now (a scan of account events: few, and only at start). */
  private async anyAdmin(): Promise<boolean> {
    const states = new Map<string, CustomerState>();
    let after: string | undefined;
    for (;;) {
      const { events, next } = await this.store.readAll({
        after,
        limit: 1000,
        types: ['CustomerRegistered', 'CustomerRoleChanged'],
      });
      for (const event of events) {
        const state = states.get(event.streamId) ?? customerDecider.initialState;
        states.set(
          event.streamId,
          customerDecider.evolve(state, { type: event.type, data: event.data } as CustomerEvent),
        );
      }
      if (events.length < 1000 || next === after) break;
      after = next;
    }
    return [...states.values()].some((state) => state.status === 'registered' && state.role === 'admin');
  }
}
