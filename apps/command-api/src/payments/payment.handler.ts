import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  type AuthorizePayment,
  type CapturePayment,
  type CommandMetadata,
  type PaymentCommand,
  paymentDecider,
  paymentStreamId,
  type RefundPayment,
  type VoidPayment,
} from '@tally/domain';
import type { EventStore } from '@tally/event-store';
import type { PaymentProvider } from '@tally/payments';
import { EVENT_STORE, HttpProblem } from '@tally/platform';
import { type CommandOutcome, Decide, type DecideOptions } from '../shared/decide.command';
import { stepCommandId } from '../shared/deterministic-id';
import { type PaymentFacts, paymentFacts } from './payment-facts';
import { PAYMENT_PROVIDER } from './payment-provider.token';

/** What a payment action did: the stream outcome, and for an authorization how the provider answered. */
export interface PaymentActionOutcome {
  readonly outcome: CommandOutcome;
  readonly status: PaymentFacts['status'] | 'pending';
}

/**
 * Payment writes. Payment commands are decided by `paymentDecider` against stream `payment-<paymentId>`;
 * the payment ACTIONS the checkout process sends (authorize, capture, void, refund) call the provider and
 * record its answer there.
 *
 * A redelivered action must move no money twice (docs/adr/0008-checkout-edge.md): each one first reads the
 * stream and returns when the outcome is already recorded; otherwise it calls the provider with an
 * idempotency key derived from Tally's ids (`authorize-<paymentId>`, `capture-<paymentId>`,
 * `void-<paymentId>`, `refund-<refundId>`), so even a call repeated after a crash is answered with the
 * first outcome; and it records that outcome with a command id derived from the action's, which the
 * handler recognises. Webhooks record the same outcomes keyed by the provider's ids; the decider treats
 * the second record of one outcome as a no-op.
 */
@Injectable()
export class PaymentHandler {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
  ) {}

  execute(command: PaymentCommand, options: DecideOptions = {}): Promise<CommandOutcome> {
    return this.commandBus.execute(
      new Decide(paymentDecider, paymentStreamId(command.data.paymentId), command, options),
    );
  }

  /**
   * Starts the payment and asks the provider to hold the money. `pending` (e.g. 3-D Secure) records nothing
   * more: the provider's webhook completes it.
   */
  async authorize(
    { data }: AuthorizePayment,
    metadata: CommandMetadata,
    options: DecideOptions,
  ): Promise<PaymentActionOutcome> {
    const { paymentId, orderId, amount, paymentMethodId } = data;
    const initiated = await this.execute(
      {
        type: 'InitiatePayment',
        data: { paymentId, orderId, amount, provider: this.provider.name, paymentMethodId },
        metadata: step(metadata, 'initiate'),
      },
      options,
    );
    const facts = await this.facts(paymentId);
    // Redelivered after the outcome was recorded (by this action or by a webhook): no second call.
    if (facts.status !== 'initiated')
      return { outcome: await this.unchanged(paymentId, facts), status: facts.status };

    const result = await this.provider.authorize({
      paymentId,
      orderId,
      amount,
      paymentMethodId,
      idempotencyKey: `authorize-${paymentId}`,
    });
    switch (result.status) {
      case 'authorized':
        return {
          outcome: await this.execute(
            {
              type: 'RecordPaymentAuthorized',
              data: { paymentId, providerPaymentId: result.providerPaymentId, amount: result.amount },
              metadata: step(metadata, 'record-authorized'),
            },
            options,
          ),
          status: 'authorized',
        };
      case 'declined':
        return {
          outcome: await this.execute(
            {
              type: 'RecordPaymentDeclined',
              data: {
                paymentId,
                providerPaymentId: result.providerPaymentId,
                reason: result.reason,
                message: result.message,
              },
              metadata: step(metadata, 'record-declined'),
            },
            options,
          ),
          status: 'declined',
        };
      case 'pending':
        return { outcome: initiated, status: 'pending' };
    }
  }

  /** Takes the held money. Already captured: nothing more. */
  async capture(
    { data }: CapturePayment,
    metadata: CommandMetadata,
    options: DecideOptions,
  ): Promise<PaymentActionOutcome> {
    const { paymentId } = data;
    const facts = await this.facts(paymentId);
    if (facts.status === 'captured')
      return { outcome: await this.unchanged(paymentId, facts), status: facts.status };
    if (facts.status !== 'authorized' || facts.providerPaymentId === null)
      throw notAuthorized(paymentId, facts, 'captured');
    const { providerPaymentId } = facts;
    const captured = await this.provider.capture({
      providerPaymentId,
      idempotencyKey: `capture-${paymentId}`,
    });
    return {
      outcome: await this.execute(
        {
          type: 'RecordPaymentCaptured',
          data: { paymentId, providerPaymentId: captured.providerPaymentId, amount: captured.amount },
          metadata: step(metadata, 'record-captured'),
        },
        options,
      ),
      status: 'captured',
    };
  }

  /** Releases the hold. A no-op when nothing was authorized (never started, declined, pending, voided). */
  async void(
    { data }: VoidPayment,
    metadata: CommandMetadata,
    options: DecideOptions,
  ): Promise<PaymentActionOutcome> {
    const { paymentId } = data;
    const facts = await this.facts(paymentId);
    // Captured money is not released by a void but given back by a refund.
    if (facts.status === 'captured') throw notAuthorized(paymentId, facts, 'voided');
    if (facts.status !== 'authorized' || facts.providerPaymentId === null)
      return { outcome: await this.unchanged(paymentId, facts), status: facts.status };
    const { providerPaymentId } = facts;
    await this.provider.void({ providerPaymentId, idempotencyKey: `void-${paymentId}` });
    return {
      outcome: await this.execute(
        {
          type: 'RecordPaymentVoided',
          data: { paymentId, providerPaymentId },
          metadata: step(metadata, 'record-voided'),
        },
        options,
      ),
      status: 'voided',
    };
  }

  /** Gives `amount` of the captured money back, once per `refundId`. */
  async refund(
    { data }: RefundPayment,
    metadata: CommandMetadata,
    options: DecideOptions,
  ): Promise<PaymentActionOutcome> {
    const { paymentId, orderId, refundId, amount } = data;
    const facts = await this.facts(paymentId);
    if (facts.refunded.has(refundId))
      return { outcome: await this.unchanged(paymentId, facts), status: facts.status };
    if (facts.status !== 'captured' || facts.providerPaymentId === null) {
      throw new HttpProblem(
        409,
        'PAYMENT_NOT_CAPTURED',
        'Payment not captured',
        `Payment ${paymentId} is ${facts.status}; only captured money can be refunded.`,
        [{ field: 'data.paymentId', message: `is ${facts.status}, not captured` }],
      );
    }
    const refunded = await this.provider.refund({
      paymentId,
      orderId,
      providerPaymentId: facts.providerPaymentId,
      amount,
      refundId,
      idempotencyKey: `refund-${refundId}`,
    });
    return {
      outcome: await this.execute(
        {
          type: 'RecordPaymentRefunded',
          data: { paymentId, refundId, providerRefundId: refunded.providerRefundId, amount: refunded.amount },
          metadata: step(metadata, 'record-refunded'),
        },
        options,
      ),
      status: facts.status,
    };
  }

  private async facts(paymentId: string): Promise<PaymentFacts> {
    return paymentFacts(await this.store.readStream(paymentStreamId(paymentId)));
  }

  /** The outcome of an action that found its work done (or nothing to do). */
  private async unchanged(paymentId: string, facts: PaymentFacts): Promise<CommandOutcome> {
    return {
      streamId: paymentStreamId(paymentId),
      version: facts.version,
      checkpoint: facts.checkpoint ?? (await this.store.headCheckpoint()),
      appended: 0,
    };
  }
}

/** Metadata of a step of an action: its own id derived from the action's, caused by the action. */
function step(metadata: CommandMetadata, name: string): CommandMetadata {
  return { ...metadata, commandId: stepCommandId(metadata.commandId, name), causationId: metadata.commandId };
}

/** A 409 for an action that needs authorized money the payment does not hold. */
function notAuthorized(paymentId: string, facts: PaymentFacts, wanted: 'captured' | 'voided'): HttpProblem {
  return new HttpProblem(
    409,
    'PAYMENT_NOT_AUTHORIZED',
    'Payment not authorized',
    `Payment ${paymentId} is ${facts.status}; only an authorized payment can be ${wanted}.`,
    [{ field: 'data.paymentId', message: `is ${facts.status}, not authorized` }],
  );
}
