import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { CUSTOMER_LIMITS, customerStreamId, liveResets } from '@tally/domain';
import { APP_CONFIG, type AppConfig, HttpProblem, LOGGER, type Logger, isUuid } from '@tally/platform';
import type { CommandContext } from '../shared/command-edge';
import { CLOCK, type Clock } from '../shared/clock';
import { Accounts } from './accounts';
import { CustomerHandler } from './customer.handler';
import { tokenHash } from './email';
import { MailOutbox } from './mail/mail-outbox';

export function resetTokenInvalid(): HttpProblem {
  return new HttpProblem(
    400,
    'RESET_TOKEN_INVALID',
    'Invalid reset link',
    'The reset link is invalid, expired or already used; request a new one.',
    [{ field: 'token', message: 'is invalid, expired or already used' }],
  );
}

/**
 * Password-reset links. A token is `<customerId>.<32 random bytes, base64url>`: the account it is for is
 * readable (it is not secret), the random part is what proves the mailbox was reached. Only its SHA-256 is
 * stored, in the `PasswordResetRequested` event.
 *
 * Requests are answered 202 at once and handled after the response, so an email with an account and one
 * without take the same time to answer (no account enumeration by timing either).
 */
@Injectable()
export class PasswordResets implements OnModuleDestroy {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly accounts: Accounts,
    private readonly customers: CustomerHandler,
    private readonly outbox: MailOutbox,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Starts handling a request in the background. */
  request(email: string, context: CommandContext): void {
    const work = this.requestNow(email, context)
      .catch((error: unknown) => {
        this.logger.error(
          { err: error, correlationId: context.metadata.correlationId },
          'password reset not requested',
        );
      })
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  /** Resolves once every request started so far is handled (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  onModuleDestroy(): Promise<void> {
    return this.settled();
  }

  /**
   * For an email with an account: the mail goes into the outbox FIRST, keyed by this command's id, then
   * `PasswordResetRequested` is appended. The outbox sends the mail only once that event is stored, so a
   * crash in between sends nothing (the orphan row is dropped) and a crash after it loses nothing.
   */
  async requestNow(email: string, context: CommandContext): Promise<void> {
    const loaded = await this.accounts.findByEmail(email);
    if (!loaded) return;
    // Enough links are out (the decider would record nothing): no mail either.
    if (liveResets(loaded.customer, context.metadata.occurredAt) >= CUSTOMER_LIMITS.maxOutstandingResets)
      return;
    const { customerId, name } = loaded.customer;
    const token = `${customerId}.${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(this.clock.now().getTime() + CUSTOMER_LIMITS.resetTokenTtlMs).toISOString();
    const link = `${this.config.TALLY_PUBLIC_URL.replace(/\/$/, '')}/account/reset-password?token=${encodeURIComponent(token)}`;
    await this.outbox.enqueue({
      streamId: customerStreamId(customerId),
      commandId: context.metadata.commandId,
      to: loaded.customer.email,
      subject: 'Reset your Tally password',
      text:
        `Hello ${name},\n\nSomeone (hopefully you) asked to reset the password of your Tally account.\n` +
        `Open this link within one hour to choose a new password:\n\n${link}\n\n` +
        'If you did not ask for this, ignore this email: your password stays as it is.\n',
      html:
        `<p>Hello ${escapeHtml(name)},</p><p>Someone (hopefully you) asked to reset the password of your Tally ` +
        `account. Open this link within one hour to choose a new password:</p><p><a href="${escapeHtml(link)}">` +
        `Choose a new password</a></p><p>If you did not ask for this, ignore this email: your password stays as ` +
        'it is.</p>',
    });
    await this.customers.execute(
      {
        type: 'RequestPasswordReset',
        data: { customerId, tokenHash: tokenHash(token), expiresAt },
        metadata: context.metadata,
      },
      context,
    );
    this.outbox.wake();
  }

  /**
   * Spends a reset token. `PasswordChanged` is appended BEFORE the new hash is stored: the event is what
   * spends the token (once, and only if valid), so the password can never change without a valid token. A
   * crash in between leaves the old password working and the token spent; the customer asks for a new link.
   */
  async confirm(
    token: string,
    newPasswordHash: string,
    customerId: string,
    context: CommandContext,
  ): Promise<void> {
    try {
      await this.customers.execute(
        {
          type: 'ChangePassword',
          data: { customerId, via: 'reset', tokenHash: tokenHash(token) },
          metadata: context.metadata,
        },
        context,
      );
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'RESET_TOKEN_INVALID' || code === 'CUSTOMER_NOT_FOUND') throw resetTokenInvalid();
      throw error;
    }
    await this.accounts.setPasswordHash(customerId, newPasswordHash);
  }
}

/** The account a reset token is for, or a 400 when the token is not even shaped like one. */
export function customerIdOfResetToken(token: string): string {
  const customerId = token.slice(0, token.indexOf('.'));
  if (!isUuid(customerId)) throw resetTokenInvalid();
  return customerId;
}

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
