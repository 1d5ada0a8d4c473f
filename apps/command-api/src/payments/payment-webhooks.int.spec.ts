import { type PaymentCommand, paymentStreamId } from '@tally/domain';
import { uuidv7 } from '@tally/platform';
import Stripe from 'stripe';
import { type InProcessCommandApi, startInProcessCommandApi } from '../../test/in-process.harness';
import { PaymentHandler } from './payment.handler';

jest.setTimeout(120_000);

const SIMULATED_SECRET = 'whsec_webhook_test_simulated';
const STRIPE_SECRET = 'whsec_webhook_test_stripe';
const eur = (amount: number) => ({ amount, currency: 'EUR' });
// Only the SDK's signing helper is used: no request reaches Stripe.
const stripe = new Stripe('sk_test_tally_webhook_signing_only');

/** A signature header as the provider computes it, with the SDK's own test helper. */
function sign(payload: string, secret: string, secondsAgo = 0): string {
  return stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    timestamp: Math.floor(Date.now() / 1000) - secondsAgo,
  });
}

interface Delivery {
  readonly payload: string;
  readonly headers: Record<string, string>;
}

async function initiatedPayment(api: InProcessCommandApi, provider: 'simulated' | 'stripe') {
  const paymentId = uuidv7();
  const orderId = uuidv7();
  const command: PaymentCommand = {
    type: 'InitiatePayment',
    data: { paymentId, orderId, amount: eur(5288), provider, paymentMethodId: 'pm_card_visa' },
    metadata: {
      commandId: uuidv7(),
      correlationId: 'test',
      causationId: 'test',
      actor: { id: 'checkout', role: 'system' },
      occurredAt: new Date().toISOString(),
    },
  };
  await api.app.get(PaymentHandler).execute(command);
  return { paymentId, orderId };
}

/** Posts a delivery to the webhook endpoint; returns the response and how many events it wrote. */
async function deliver(api: InProcessCommandApi, provider: string, delivery: Delivery) {
  const before = await api.eventCount();
  const response = await api.app.inject({
    method: 'POST',
    url: `/api/v1/payments/webhooks/${provider}`,
    headers: { 'content-type': 'application/json', ...delivery.headers },
    payload: delivery.payload,
  });
  return { response, written: (await api.eventCount()) - before };
}

describe('payment webhooks (PostgreSQL)', () => {
  describe('from the simulated provider', () => {
    let api: InProcessCommandApi;

    beforeAll(async () => {
      api = await startInProcessCommandApi({ env: { SIMULATED_WEBHOOK_SECRET: SIMULATED_SECRET } });
    });

    afterAll(async () => {
      await api.close();
    });

    function authorizedEvent(ids: { paymentId: string; orderId: string }, eventId = `evt_sim_${uuidv7()}`) {
      return JSON.stringify({
        id: eventId,
        object: 'event',
        type: 'payment.authorized',
        created: Math.floor(Date.now() / 1000),
        data: { ...ids, providerPaymentId: `pi_sim_${ids.paymentId.replace(/-/g, '')}`, amount: eur(5288) },
      });
    }

    const signed = (payload: string, secret = SIMULATED_SECRET, secondsAgo = 0): Delivery => ({
      payload,
      headers: { 'stripe-signature': sign(payload, secret, secondsAgo) },
    });

    it('records a verified outcome once; the same event delivered again changes nothing', async () => {
      const ids = await initiatedPayment(api, 'simulated');
      const payload = authorizedEvent(ids);

      const first = await deliver(api, 'simulated', signed(payload));
      expect(first.response.statusCode).toBe(200);
      expect(first.response.json()).toEqual({ received: true });
      expect(first.written).toBe(1);
      const [, authorized] = await api.stream(paymentStreamId(ids.paymentId));
      expect(authorized).toMatchObject({
        type: 'PaymentAuthorized',
        data: { paymentId: ids.paymentId, amount: eur(5288) },
        metadata: { actor: { id: 'payment-provider:simulated', role: 'system' } },
      });

      // The provider retries a delivery it saw no answer to: same event, signed again.
      const replayed = await deliver(api, 'simulated', signed(payload));
      expect([replayed.response.statusCode, replayed.written]).toEqual([200, 0]);
      // Another event reporting the same outcome (keyed by the provider's payment id): nothing new either.
      const another = await deliver(api, 'simulated', signed(authorizedEvent(ids)));
      expect([another.response.statusCode, another.written]).toEqual([200, 0]);
    });

    it.each([
      [
        'a signature made with another secret',
        (p: string) => signed(p, 'whsec_someone_else'),
        'WEBHOOK_SIGNATURE_INVALID',
      ],
      ['no signature', (p: string) => ({ payload: p, headers: {} }), 'WEBHOOK_SIGNATURE_INVALID'],
      [
        'a malformed signature header',
        (p: string) => ({ payload: p, headers: { 'stripe-signature': 'v1=abc' } }),
        'WEBHOOK_SIGNATURE_INVALID',
      ],
      [
        'a body changed after signing',
        (p: string) => ({ payload: p.replace('5288', '1'), headers: signed(p).headers }),
        'WEBHOOK_SIGNATURE_INVALID',
      ],
      [
        'a replayed timestamp (signed 10 minutes ago)',
        (p: string) => signed(p, SIMULATED_SECRET, 600),
        'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
      ],
    ])('refuses %s: 400 naming header.Stripe-Signature, no event', async (_name, make, code) => {
      const ids = await initiatedPayment(api, 'simulated');
      const { response, written } = await deliver(api, 'simulated', make(authorizedEvent(ids)));
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ code, errors: [{ field: 'header.Stripe-Signature' }] });
      expect(written).toBe(0);
    });

    it('refuses a correctly signed body that is not an event: 400 naming the body, no event', async () => {
      const { response, written } = await deliver(api, 'simulated', signed('{"hello":'));
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'WEBHOOK_PAYLOAD_INVALID',
        errors: [{ field: '(body)' }],
      });
      expect(written).toBe(0);
    });

    it('acknowledges events it does not act on, and outcomes for payments it does not know, writing nothing', async () => {
      const other = JSON.stringify({
        id: 'evt_sim_other',
        object: 'event',
        type: 'payment.disputed',
        data: {},
      });
      const ignored = await deliver(api, 'simulated', signed(other));
      expect([ignored.response.statusCode, ignored.written]).toEqual([200, 0]);
      const unknown = await deliver(
        api,
        'simulated',
        signed(authorizedEvent({ paymentId: uuidv7(), orderId: uuidv7() })),
      );
      expect([unknown.response.statusCode, unknown.written]).toEqual([200, 0]);
    });

    it.each([
      ['an unknown provider', 'paypal', 'UNKNOWN_PAYMENT_PROVIDER'],
      ['a provider that is not the configured one', 'stripe', 'PAYMENT_PROVIDER_NOT_CONFIGURED'],
    ])('answers %s with 404 naming path.provider', async (_name, provider, code) => {
      const ids = await initiatedPayment(api, 'simulated');
      const { response, written } = await deliver(api, provider, signed(authorizedEvent(ids)));
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code, errors: [{ field: 'path.provider' }] });
      expect(written).toBe(0);
    });

    it('keeps the 100 kB body limit', async () => {
      const payload = JSON.stringify({
        id: 'evt_big',
        type: 'payment.authorized',
        padding: 'x'.repeat(101 * 1024),
      });
      const { response, written } = await deliver(api, 'simulated', signed(payload));
      expect(response.statusCode).toBe(413);
      expect(written).toBe(0);
    });
  });

  describe('from Stripe (signed with the SDK test helper; no call reaches Stripe)', () => {
    let api: InProcessCommandApi;

    beforeAll(async () => {
      api = await startInProcessCommandApi({
        env: { STRIPE_SECRET_KEY: 'sk_test_tally_webhook_test', STRIPE_WEBHOOK_SECRET: STRIPE_SECRET },
      });
    });

    afterAll(async () => {
      await api.close();
    });

    /** A PaymentIntent event as Stripe sends it, for a payment Tally created (ids in its metadata). */
    function paymentIntentEvent(type: string, ids: { paymentId: string; orderId: string }, status: string) {
      return JSON.stringify({
        id: `evt_${uuidv7().replace(/-/g, '')}`,
        object: 'event',
        api_version: '2025-01-27.acacia',
        created: Math.floor(Date.now() / 1000),
        type,
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        data: {
          object: {
            id: `pi_${ids.paymentId.replace(/-/g, '')}`,
            object: 'payment_intent',
            amount: 5288,
            amount_capturable: status === 'requires_capture' ? 5288 : 0,
            amount_received: status === 'succeeded' ? 5288 : 0,
            capture_method: 'manual',
            currency: 'eur',
            status,
            metadata: { paymentId: ids.paymentId, orderId: ids.orderId },
            last_payment_error: null,
          },
        },
      });
    }

    const signed = (payload: string, secondsAgo = 0): Delivery => ({
      payload,
      headers: { 'stripe-signature': sign(payload, STRIPE_SECRET, secondsAgo) },
    });

    it('records an authorization once, however often it is delivered', async () => {
      const ids = await initiatedPayment(api, 'stripe');
      const payload = paymentIntentEvent('payment_intent.amount_capturable_updated', ids, 'requires_capture');

      const first = await deliver(api, 'stripe', signed(payload));
      expect([first.response.statusCode, first.written]).toEqual([200, 1]);
      expect((await api.stream(paymentStreamId(ids.paymentId)))[1]).toMatchObject({
        type: 'PaymentAuthorized',
        data: { amount: eur(5288), providerPaymentId: `pi_${ids.paymentId.replace(/-/g, '')}` },
      });
      const replayed = await deliver(api, 'stripe', signed(payload));
      expect([replayed.response.statusCode, replayed.written]).toEqual([200, 0]);
    });

    it.each([
      [
        'a bad signature',
        (p: string): Delivery => ({ payload: p, headers: { 'stripe-signature': sign(p, 'whsec_wrong') } }),
        'WEBHOOK_SIGNATURE_INVALID',
      ],
      ['a replayed timestamp', (p: string) => signed(p, 301), 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE'],
    ])('refuses %s: 400 naming header.Stripe-Signature, no event', async (_name, make, code) => {
      const ids = await initiatedPayment(api, 'stripe');
      const payload = paymentIntentEvent('payment_intent.amount_capturable_updated', ids, 'requires_capture');
      const { response, written } = await deliver(api, 'stripe', make(payload));
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code, errors: [{ field: 'header.Stripe-Signature' }] });
      expect(written).toBe(0);
    });

    it('has no simulated endpoint in Stripe mode', async () => {
      const response = await api.app.inject({ method: 'POST', url: '/api/v1/payments/webhooks/simulated' });
      expect(response.statusCode).toBe(404);
    });
  });
});
