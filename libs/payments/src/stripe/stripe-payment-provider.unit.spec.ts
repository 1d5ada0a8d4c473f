import Stripe from 'stripe';
import {
  WebhookPayloadInvalid,
  WebhookSignatureInvalid,
  WebhookTimestampOutOfTolerance,
} from '../payment-provider.port';
import { declineReason, StripePaymentProvider } from './stripe-payment-provider';

const webhookSecret = 'whsec_unit_stripe';
const provider = new StripePaymentProvider({ secretKey: 'sk_test_unit', webhookSecret });
// The SDK's own helper signs the test payloads, exactly as Stripe signs real deliveries.
const sdk = new Stripe('sk_test_unit');
const receivedAt = new Date('2026-03-01T12:00:00Z');
const unix = (date: Date) => Math.floor(date.getTime() / 1000);

const metadata = { paymentId: 'pay-1', orderId: 'ord-1' };

function stripeEvent(type: string, object: Record<string, unknown>, id = `evt_${type}`): string {
  return JSON.stringify({
    id,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: unix(receivedAt),
    type,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
  });
}

function intent(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'pi_123',
    object: 'payment_intent',
    amount: 2500,
    amount_capturable: 0,
    amount_received: 0,
    currency: 'eur',
    capture_method: 'manual',
    status: 'requires_capture',
    metadata,
    last_payment_error: null,
    ...fields,
  };
}

function signed(payload: string, options: { secret?: string; at?: Date } = {}) {
  return {
    'stripe-signature': sdk.webhooks.generateTestHeaderString({
      payload,
      secret: options.secret ?? webhookSecret,
      timestamp: unix(options.at ?? receivedAt),
    }),
  };
}

const parse = (payload: string, headers: Record<string, string>, now = receivedAt) =>
  provider.parseWebhook(payload, headers, now);

describe('StripePaymentProvider webhooks', () => {
  const ids = { paymentId: 'pay-1', orderId: 'ord-1', providerPaymentId: 'pi_123' };

  describe('with a valid signature', () => {
    it('maps payment_intent.amount_capturable_updated to authorized', () => {
      const payload = stripeEvent(
        'payment_intent.amount_capturable_updated',
        intent({ amount_capturable: 2500 }),
        'evt_auth',
      );
      expect(parse(payload, signed(payload))).toEqual({
        providerEventId: 'evt_auth',
        kind: 'authorized',
        ...ids,
        amount: { amount: 2500, currency: 'EUR' },
      });
    });

    it('maps payment_intent.payment_failed to declined with the decline code as reason', () => {
      const payload = stripeEvent(
        'payment_intent.payment_failed',
        intent({
          status: 'requires_payment_method',
          last_payment_error: {
            type: 'card_error',
            code: 'card_declined',
            decline_code: 'insufficient_funds',
            message: 'Your card has insufficient funds.',
          },
        }),
      );
      expect(parse(payload, signed(payload))).toMatchObject({
        kind: 'declined',
        ...ids,
        reason: 'insufficient_funds',
        message: 'Your card has insufficient funds.',
      });
    });

    it('maps payment_intent.succeeded to captured with the amount received', () => {
      const payload = stripeEvent(
        'payment_intent.succeeded',
        intent({ status: 'succeeded', amount_received: 2000 }),
      );
      expect(parse(payload, signed(payload))).toMatchObject({
        kind: 'captured',
        ...ids,
        amount: { amount: 2000, currency: 'EUR' },
      });
    });

    it('maps payment_intent.canceled to voided', () => {
      const payload = stripeEvent('payment_intent.canceled', intent({ status: 'canceled' }));
      expect(parse(payload, signed(payload))).toEqual({
        providerEventId: 'evt_payment_intent.canceled',
        kind: 'voided',
        ...ids,
      });
    });

    it.each(['refund.created', 'refund.updated'])('maps a succeeded %s to refunded', (type) => {
      const payload = stripeEvent(type, {
        id: 're_9',
        object: 'refund',
        amount: 700,
        currency: 'eur',
        status: 'succeeded',
        payment_intent: 'pi_123',
        metadata: { ...metadata, refundId: 'ref-1' },
      });
      expect(parse(payload, signed(payload))).toMatchObject({
        kind: 'refunded',
        ...ids,
        providerRefundId: 're_9',
        refundId: 'ref-1',
        amount: { amount: 700, currency: 'EUR' },
      });
    });

    it('ignores a refund that has not succeeded yet', () => {
      const payload = stripeEvent('refund.created', {
        id: 're_9',
        object: 'refund',
        amount: 700,
        currency: 'eur',
        status: 'pending',
        payment_intent: 'pi_123',
        metadata,
      });
      expect(parse(payload, signed(payload))).toMatchObject({ kind: 'ignored', type: 'refund.created' });
    });

    it('ignores charge.refunded (refund.* events carry the refund id Tally keys refunds by)', () => {
      const payload = stripeEvent('charge.refunded', { id: 'ch_1', object: 'charge', metadata });
      expect(parse(payload, signed(payload))).toEqual({
        kind: 'ignored',
        providerEventId: 'evt_charge.refunded',
        type: 'charge.refunded',
      });
    });

    it('ignores an intent without Tally metadata (not created by Tally)', () => {
      const payload = stripeEvent('payment_intent.succeeded', intent({ metadata: {} }));
      expect(parse(payload, signed(payload))).toMatchObject({ kind: 'ignored' });
    });

    it('ignores event types Tally does not act on', () => {
      const payload = stripeEvent('customer.created', { id: 'cus_1', object: 'customer' });
      expect(parse(payload, signed(payload))).toMatchObject({ kind: 'ignored', type: 'customer.created' });
    });

    it('accepts the raw body as a Buffer', () => {
      const payload = stripeEvent('payment_intent.canceled', intent());
      expect(provider.parseWebhook(Buffer.from(payload, 'utf8'), signed(payload), receivedAt).kind).toBe(
        'voided',
      );
    });
  });

  describe('with a bad delivery', () => {
    const payload = stripeEvent('payment_intent.succeeded', intent({ amount_received: 2500 }));

    it('rejects a missing signature header', () => {
      expect(() => parse(payload, {})).toThrow(WebhookSignatureInvalid);
    });

    it('rejects a payload signed with another secret', () => {
      expect(() => parse(payload, signed(payload, { secret: 'whsec_attacker' }))).toThrow(
        WebhookSignatureInvalid,
      );
    });

    it('rejects a tampered body', () => {
      const tampered = payload.replace('"amount_received":2500', '"amount_received":1');
      expect(tampered).not.toBe(payload);
      expect(() => parse(tampered, signed(payload))).toThrow(WebhookSignatureInvalid);
    });

    it('rejects a delivery signed more than 300 s ago as out of tolerance (a replay)', () => {
      const headers = signed(payload, { at: new Date(receivedAt.getTime() - 301_000) });
      const error = (() => {
        try {
          parse(payload, headers);
          return undefined;
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(WebhookTimestampOutOfTolerance);
      expect(error).toMatchObject({ code: 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE' });
    });

    it('accepts a delivery signed 300 s ago', () => {
      const headers = signed(payload, { at: new Date(receivedAt.getTime() - 300_000) });
      expect(parse(payload, headers).kind).toBe('captured');
    });

    it('rejects a delivery signed more than 300 s in the future', () => {
      const headers = signed(payload, { at: new Date(receivedAt.getTime() + 301_000) });
      expect(() => parse(payload, headers)).toThrow(WebhookTimestampOutOfTolerance);
    });

    it('rejects a correctly signed body that is not JSON', () => {
      const garbage = 'not json';
      expect(() => parse(garbage, signed(garbage))).toThrow(WebhookPayloadInvalid);
    });
  });
});

describe('declineReason', () => {
  it.each([
    ['generic_decline', 'card_declined', 'card_declined'],
    ['insufficient_funds', 'card_declined', 'insufficient_funds'],
    [undefined, 'authentication_required', 'authentication_required'],
    [null, 'expired_card', 'expired_card'],
    ['generic_decline', undefined, 'generic_decline'],
    [undefined, undefined, undefined],
  ])('decline_code %s with code %s reads %s', (declineCode, code, reason) => {
    expect(declineReason(declineCode, code)).toBe(reason);
  });
});
