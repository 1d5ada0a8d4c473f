import type { Money, PaymentEvent } from '@tally/domain';
import type { RecordedEvent } from '@tally/event-store';

/**
 * What a payment stream says about the money, as far as the command side needs it to decide whether to
 * call the provider at all: a redelivered action finds its outcome here and moves nothing.
 */
export interface PaymentFacts {
  /** `none` = no stream; afterwards the last money-moving outcome. */
  readonly status: 'none' | 'initiated' | 'authorized' | 'declined' | 'captured' | 'voided';
  readonly providerPaymentId: string | null;
  /** What the provider holds (authorized) or took (captured). */
  readonly amount: Money | null;
  /** Tally refund ids already paid out. */
  readonly refunded: ReadonlySet<string>;
  /** The stream's version and last checkpoint, for a reply to an action that changed nothing. */
  readonly version: number;
  readonly checkpoint: string | null;
}

/** Folds a payment stream's events into {@link PaymentFacts}. */
export function paymentFacts(history: readonly RecordedEvent[]): PaymentFacts {
  let facts: PaymentFacts = {
    status: 'none',
    providerPaymentId: null,
    amount: null,
    refunded: new Set(),
    version: 0,
    checkpoint: null,
  };
  for (const recorded of history) {
    const event = { type: recorded.type, data: recorded.data } as PaymentEvent;
    facts = { ...facts, version: recorded.version, checkpoint: recorded.position };
    switch (event.type) {
      case 'PaymentInitiated':
        facts = { ...facts, status: 'initiated', amount: event.data.amount };
        break;
      case 'PaymentAuthorized':
        facts = {
          ...facts,
          status: 'authorized',
          providerPaymentId: event.data.providerPaymentId,
          amount: event.data.amount,
        };
        break;
      case 'PaymentDeclined':
        facts = { ...facts, status: 'declined', providerPaymentId: event.data.providerPaymentId };
        break;
      case 'PaymentCaptured':
        facts = {
          ...facts,
          status: 'captured',
          providerPaymentId: event.data.providerPaymentId,
          amount: event.data.amount,
        };
        break;
      case 'PaymentVoided':
        facts = { ...facts, status: 'voided' };
        break;
      case 'PaymentRefunded':
        facts = { ...facts, refunded: new Set([...facts.refunded, event.data.refundId]) };
        break;
    }
  }
  return facts;
}
