import { randomUUID } from 'node:crypto';
import { migrate } from '@tally/database';
import { loadConfig } from '@tally/platform';
import { createTestSchema, type TestSchema } from '@tally/testing';
import { createPaymentProvider } from './create-payment-provider';
import { paymentsMigrations } from './payments.migrations';
import { SimulatedPaymentProvider } from './simulated/simulated-payment-provider';
import { StripePaymentProvider } from './stripe/stripe-payment-provider';

describe('createPaymentProvider', () => {
  let db: TestSchema;

  beforeEach(async () => {
    db = await createTestSchema('payments_factory');
    await migrate(db.client, [paymentsMigrations]);
  });

  afterEach(async () => {
    await db.drop();
  });

  it('chooses Stripe when STRIPE_SECRET_KEY is set', () => {
    const config = loadConfig({ STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' });
    const provider = createPaymentProvider(config, { sql: db.client });
    expect(provider).toBeInstanceOf(StripePaymentProvider);
    expect(provider.name).toBe('stripe');
  });

  it('refuses a Stripe key without a webhook secret', () => {
    expect(() =>
      createPaymentProvider(
        {
          STRIPE_SECRET_KEY: 'sk_test_x',
          SIMULATED_PAYMENT_LATENCY_MS: 0,
          SIMULATED_PAYMENT_FAILURE_RATE: 0,
          SIMULATED_WEBHOOK_SECRET: 'whsec_s',
        },
        { sql: db.client },
      ),
    ).toThrow(/STRIPE_WEBHOOK_SECRET/);
  });

  it('chooses the simulated provider otherwise, with the configured failure rate and webhook secret', async () => {
    const config = loadConfig({
      SIMULATED_PAYMENT_FAILURE_RATE: '1',
      SIMULATED_WEBHOOK_SECRET: 'whsec_factory',
    });
    const delivered: { body: string; headers: Readonly<Record<string, string>> }[] = [];
    const provider = createPaymentProvider(config, {
      sql: db.client,
      deliver: (body, headers) => {
        delivered.push({ body, headers });
        return Promise.resolve();
      },
    });
    if (!(provider instanceof SimulatedPaymentProvider)) throw new Error('expected the simulated provider');

    const result = await provider.authorize({
      paymentId: randomUUID(),
      orderId: randomUUID(),
      amount: { amount: 100, currency: 'EUR' },
      paymentMethodId: 'pm_card_visa',
      idempotencyKey: randomUUID(),
    });
    await provider.flushWebhooks();

    expect(result).toMatchObject({ status: 'declined', reason: 'processing_error' });
    expect(delivered).toHaveLength(1);
    const [webhook] = delivered;
    if (!webhook) throw new Error('expected a webhook');
    expect(provider.parseWebhook(webhook.body, webhook.headers)).toMatchObject({
      kind: 'declined',
      reason: 'processing_error',
    });
  });
});
