import { Inject, Injectable } from '@nestjs/common';
import type { CommandMetadata, PaymentCommand } from '@tally/domain';
import { deterministicCommandId, deterministicId } from '@tally/messaging';
import type { PaymentProvider, PaymentWebhookEvent, WebhookHeaders } from '@tally/payments';
import { LOGGER, type Logger } from '@tally/platform';
import { CLOCK, type Clock } from '../shared/clock';
import type { CommandOutcome } from '../shared/decide.command';
import { isDomainError } from '../shared/domain-error-fields';
import { PROCESS_RETRY } from '../shared/retry-policy';
import { PaymentHandler } from './payment.handler';
import { PAYMENT_PROVIDER } from './payment-provider.token';

/** What a webhook delivery did. */
export type WebhookOutcome =
  | { readonly kind: 'recorded'; readonly outcome: CommandOutcome }
  /** Verified, but about nothing Tally records (another event type, another system's payment). */
  | { readonly kind: 'ignored'; readonly reason: string };

/**
 * The second path by which payment outcomes arrive: the provider's signed webhooks (the first is the
 * provider's answer to an action). Each verified delivery becomes one `Record*` command on the payment's
 * stream, with a command id derived from the provider's event id: the same delivery replayed is answered
 * from the stored events, and an outcome the action already recorded is a no-op for the decider, which
 * keys outcomes by the provider's ids. See docs/adr/0008-checkout-edge.md.
 */
@Injectable()
export class PaymentWebhooks {
  constructor(
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    private readonly payments: PaymentHandler,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The configured provider's name: webhooks for any other provider have no endpoint here. */
  get providerName(): string {
    return this.provider.name;
  }

  /**
   * Verifies the delivery (throws the provider's `WebhookRejected` errors: bad signature, replayed
   * timestamp, not a payload it sends) and records what it reports.
   */
  async receive(rawBody: Buffer, headers: WebhookHeaders, correlationId: string): Promise<WebhookOutcome> {
    const event = this.provider.parseWebhook(rawBody, headers, this.clock.now());
    if (event.kind === 'ignored') return { kind: 'ignored', reason: event.type };
    const command = this.commandFor(event, {
      commandId: deterministicCommandId(`payment-webhook-${this.provider.name}`, event.providerEventId),
      correlationId,
      causationId: correlationId,
      actor: { id: `payment-provider:${this.provider.name}`, role: 'system' },
      occurredAt: this.clock.now().toISOString(),
    });
    try {
      // Webhooks race the action that asked for the outcome on the same stream: both are decided again.
      return { kind: 'recorded', outcome: await this.payments.execute(command, { retry: PROCESS_RETRY }) };
    } catch (error) {
      // A verified outcome the payment cannot take (unknown payment, contradicts what is recorded) will not
      // become acceptable by being delivered again; the provider would retry it for days. Recorded in the log.
      if (!isDomainError(error)) throw error;
      this.logger.warn(
        {
          correlationId,
          code: error.code,
          providerEventId: event.providerEventId,
          paymentId: event.paymentId,
        },
        'payment webhook not recorded',
      );
      return { kind: 'ignored', reason: error.code };
    }
  }

  private commandFor(
    event: Exclude<PaymentWebhookEvent, { kind: 'ignored' }>,
    metadata: CommandMetadata,
  ): PaymentCommand {
    const { paymentId, providerPaymentId } = event;
    switch (event.kind) {
      case 'authorized':
        return {
          type: 'RecordPaymentAuthorized',
          data: { paymentId, providerPaymentId, amount: event.amount },
          metadata,
        };
      case 'declined':
        return {
          type: 'RecordPaymentDeclined',
          data: { paymentId, providerPaymentId, reason: event.reason, message: event.message },
          metadata,
        };
      case 'captured':
        return {
          type: 'RecordPaymentCaptured',
          data: { paymentId, providerPaymentId, amount: event.amount },
          metadata,
        };
      case 'voided':
        return { type: 'RecordPaymentVoided', data: { paymentId, providerPaymentId }, metadata };
      case 'refunded':
        return {
          type: 'RecordPaymentRefunded',
          data: {
            paymentId,
            // A refund made in the provider's dashboard has no Tally id: the provider's id stands in for it.
            refundId: event.refundId ?? deterministicId('refund', this.provider.name, event.providerRefundId),
            providerRefundId: event.providerRefundId,
            amount: event.amount,
          },
          metadata,
        };
    }
  }
}
