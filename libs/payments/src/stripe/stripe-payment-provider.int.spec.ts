import { randomUUID } from 'node:crypto';
import {
  type AuthorizePaymentRequest,
  PaymentOperationRejected,
  PaymentProviderUnavailable,
} from '../payment-provider.port';
import { StripePaymentProvider, type StripePaymentProviderOptions } from './stripe-payment-provider';
import { StripeApiStandIn } from './testing/stripe-api.stand-in';

const eur = (amount: number) => ({ amount, currency: 'EUR' });

function authorization(paymentMethodId = 'pm_card_visa', amount = 2500): AuthorizePaymentRequest {
  return {
    paymentId: randomUUID(),
    orderId: randomUUID(),
    amount: eur(amount),
    paymentMethodId,
    idempotencyKey: `authorize-${randomUUID()}`,
  };
}

// api.stripe.com cannot be reached here: these tests run the real SDK against a local stand-in that
// speaks the few endpoints Tally uses, and assert what the adapter sends and how it reads the answers.
describe('StripePaymentProvider against a mocked Stripe API (remote provider mocked by a local stand-in)', () => {
  let api: StripeApiStandIn;
  let stripe: StripePaymentProvider;

  const provider = (options: Partial<StripePaymentProviderOptions> = {}) =>
    new StripePaymentProvider({
      secretKey: 'sk_test_tally_stand_in',
      webhookSecret: 'whsec_tally_stand_in',
      api: api.api,
      maxNetworkRetries: 0,
      ...options,
    });

  beforeEach(async () => {
    api = await StripeApiStandIn.start();
    stripe = provider();
  });

  afterEach(async () => {
    await api.close();
  });

  describe('authorize', () => {
    it('creates and confirms a manual-capture PaymentIntent with Tally metadata and the idempotency key', async () => {
      const request = authorization('pm_card_visa', 4200);
      const result = await stripe.authorize(request);

      expect(result).toEqual({
        status: 'authorized',
        providerPaymentId: expect.stringMatching(/^pi_/) as string,
        amount: eur(4200),
      });
      expect(api.requests).toHaveLength(1);
      expect(api.requests[0]).toMatchObject({
        method: 'POST',
        path: '/v1/payment_intents',
        idempotencyKey: request.idempotencyKey,
        authorization: 'Bearer sk_test_tally_stand_in',
        params: {
          amount: '4200',
          currency: 'eur',
          payment_method: 'pm_card_visa',
          confirm: 'true',
          capture_method: 'manual',
          error_on_requires_action: 'true',
          'automatic_payment_methods[enabled]': 'true',
          'automatic_payment_methods[allow_redirects]': 'never',
          'metadata[paymentId]': request.paymentId,
          'metadata[orderId]': request.orderId,
        },
      });
    });

    it.each([
      ['pm_card_chargeDeclined', 'card_declined'],
      ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
      ['pm_card_authenticationRequired', 'authentication_required'],
    ])(
      'maps the card error for %s to declined %s, keeping the intent id',
      async (paymentMethodId, reason) => {
        const result = await stripe.authorize(authorization(paymentMethodId));

        expect(result).toMatchObject({
          status: 'declined',
          providerPaymentId: expect.stringMatching(/^pi_/) as string,
          reason,
          message: expect.any(String) as string,
        });
      },
    );

    it('declines an unknown payment method without an intent (resource_missing)', async () => {
      expect(await stripe.authorize(authorization('pm_unknown'))).toMatchObject({
        status: 'declined',
        providerPaymentId: null,
        reason: 'resource_missing',
      });
    });

    it('reports a payment that settles later as pending (the outcome comes by webhook)', async () => {
      expect(await stripe.authorize(authorization('pm_async_processing'))).toEqual({
        status: 'pending',
        providerPaymentId: expect.stringMatching(/^pi_/) as string,
      });
    });

    it('returns the first result to a retried call with the same key (Stripe replays it)', async () => {
      const request = authorization();
      const first = await stripe.authorize(request);
      const again = await stripe.authorize(request);

      expect(again).toEqual(first);
      expect(api.requests.map((r) => r.idempotencyKey)).toEqual([
        request.idempotencyKey,
        request.idempotencyKey,
      ]);
    });

    it('retries a 5xx with the same idempotency key, then succeeds', async () => {
      const retrying = provider({ maxNetworkRetries: 1 });
      api.failNext(1, 500);
      const request = authorization();

      expect((await retrying.authorize(request)).status).toBe('authorized');
      expect(api.requests.map((r) => r.idempotencyKey)).toEqual([
        request.idempotencyKey,
        request.idempotencyKey,
      ]);
    });

    it('throws PaymentProviderUnavailable when Stripe keeps failing', async () => {
      api.failNext(5, 503);
      await expect(stripe.authorize(authorization())).rejects.toBeInstanceOf(PaymentProviderUnavailable);
    });

    it('throws PaymentProviderUnavailable when Stripe cannot be reached', async () => {
      await api.close();
      const error: unknown = await stripe.authorize(authorization()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PaymentProviderUnavailable);
      expect(error).toMatchObject({ retryable: true });
      api = await StripeApiStandIn.start();
    });
  });

  describe('capture, void and refund', () => {
    async function authorized(amount = 5000): Promise<string> {
      const result = await stripe.authorize(authorization('pm_card_visa', amount));
      if (result.status !== 'authorized') throw new Error('expected an authorization');
      return result.providerPaymentId;
    }

    it('captures all, or part, of the hold with the idempotency key', async () => {
      const whole = await authorized(5000);
      const part = await authorized(5000);

      expect(await stripe.capture({ providerPaymentId: whole, idempotencyKey: 'capture-whole' })).toEqual({
        providerPaymentId: whole,
        amount: eur(5000),
      });
      expect(
        await stripe.capture({ providerPaymentId: part, amount: eur(3100), idempotencyKey: 'capture-part' }),
      ).toEqual({ providerPaymentId: part, amount: eur(3100) });
      const captures = api.requests.filter((r) => r.path.endsWith('/capture'));
      expect(captures).toEqual([
        expect.objectContaining({
          path: `/v1/payment_intents/${whole}/capture`,
          idempotencyKey: 'capture-whole',
          params: {},
        }),
        expect.objectContaining({
          path: `/v1/payment_intents/${part}/capture`,
          idempotencyKey: 'capture-part',
          params: { amount_to_capture: '3100' },
        }),
      ]);
    });

    it('reports the earlier capture when the intent was already captured with another key', async () => {
      const id = await authorized(5000);
      await stripe.capture({ providerPaymentId: id, amount: eur(4000), idempotencyKey: `c-${randomUUID()}` });

      expect(await stripe.capture({ providerPaymentId: id, idempotencyKey: `c-${randomUUID()}` })).toEqual({
        providerPaymentId: id,
        amount: eur(4000),
      });
    });

    it('voids a hold by cancelling the intent; a second void is a no-op; capture after void is rejected', async () => {
      const id = await authorized();
      await stripe.void({ providerPaymentId: id, idempotencyKey: 'void-1' });
      await stripe.void({ providerPaymentId: id, idempotencyKey: 'void-2' });

      expect(api.intent(id)?.status).toBe('canceled');
      expect(api.requests.filter((r) => r.path.endsWith('/cancel'))).toEqual([
        expect.objectContaining({ idempotencyKey: 'void-1', params: { cancellation_reason: 'abandoned' } }),
        expect.objectContaining({ idempotencyKey: 'void-2' }),
      ]);
      const error: unknown = await stripe
        .capture({ providerPaymentId: id, idempotencyKey: 'capture-late' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PaymentOperationRejected);
      expect(error).toMatchObject({ retryable: false, code: 'PAYMENT_OPERATION_REJECTED' });
    });

    it('refuses to void a captured payment', async () => {
      const id = await authorized();
      await stripe.capture({ providerPaymentId: id, idempotencyKey: `c-${randomUUID()}` });
      await expect(
        stripe.void({ providerPaymentId: id, idempotencyKey: `v-${randomUUID()}` }),
      ).rejects.toBeInstanceOf(PaymentOperationRejected);
    });

    it('refunds with Tally metadata and the idempotency key; more than captured is rejected', async () => {
      const id = await authorized(5000);
      await stripe.capture({ providerPaymentId: id, idempotencyKey: `c-${randomUUID()}` });
      const refund = {
        paymentId: randomUUID(),
        orderId: randomUUID(),
        providerPaymentId: id,
        amount: eur(1500),
        refundId: randomUUID(),
        idempotencyKey: 'refund-1',
      };

      expect(await stripe.refund(refund)).toEqual({
        providerRefundId: expect.stringMatching(/^re_/) as string,
        amount: eur(1500),
      });
      expect(api.requests.at(-1)).toMatchObject({
        path: '/v1/refunds',
        idempotencyKey: 'refund-1',
        params: {
          payment_intent: id,
          amount: '1500',
          'metadata[paymentId]': refund.paymentId,
          'metadata[orderId]': refund.orderId,
          'metadata[refundId]': refund.refundId,
        },
      });
      await expect(
        stripe.refund({ ...refund, amount: eur(3501), refundId: randomUUID(), idempotencyKey: 'refund-2' }),
      ).rejects.toBeInstanceOf(PaymentOperationRejected);
    });

    it('throws PaymentProviderUnavailable for a capture Stripe fails to process', async () => {
      const id = await authorized();
      api.failNext(1, 500);
      await expect(stripe.capture({ providerPaymentId: id, idempotencyKey: 'c' })).rejects.toBeInstanceOf(
        PaymentProviderUnavailable,
      );
    });
  });

  it('sends an idempotency key on every call (none generated by the SDK)', async () => {
    const result = await stripe.authorize(authorization());
    if (result.status !== 'authorized') throw new Error('expected an authorization');
    await stripe.capture({ providerPaymentId: result.providerPaymentId, idempotencyKey: 'k-capture' });
    await stripe.refund({
      paymentId: randomUUID(),
      orderId: randomUUID(),
      providerPaymentId: result.providerPaymentId,
      amount: eur(100),
      refundId: randomUUID(),
      idempotencyKey: 'k-refund',
    });
    const voidable = await stripe.authorize(authorization());
    await stripe.void({ providerPaymentId: voidable.providerPaymentId ?? '', idempotencyKey: 'k-void' });

    expect(api.requests).toHaveLength(5);
    for (const request of api.requests) expect(request.idempotencyKey).not.toMatch(/^stripe-node-retry-/);
    expect(
      api.requests.every((r) => typeof r.idempotencyKey === 'string' && r.idempotencyKey.length > 0),
    ).toBe(true);
  });
});
