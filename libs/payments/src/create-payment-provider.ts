import type { SqlClient } from '@tally/database';
import { type PaymentsLogger, silentPaymentsLogger } from './payments-logger';
import { SimulatedPaymentProvider, type WebhookDelivery } from './simulated/simulated-payment-provider';
import { StripePaymentProvider } from './stripe/stripe-payment-provider';

/** The settings the payment providers read (a subset of `@tally/platform`'s validated `AppConfig`). */
export interface PaymentsConfig {
  readonly STRIPE_SECRET_KEY?: string | undefined;
  readonly STRIPE_WEBHOOK_SECRET?: string | undefined;
  readonly SIMULATED_PAYMENT_LATENCY_MS: number;
  readonly SIMULATED_PAYMENT_FAILURE_RATE: number;
  readonly SIMULATED_WEBHOOK_SECRET: string;
}

export interface PaymentProviderDependencies {
  /** The simulated provider's database (its tables come from `paymentsMigrations`). */
  readonly sql: SqlClient;
  /** Where the simulated provider delivers its webhooks (the command-api's own webhook endpoint). */
  readonly deliver?: WebhookDelivery;
  readonly logger?: PaymentsLogger;
}

/**
 * The payment provider this deployment uses: Stripe when `STRIPE_SECRET_KEY` is set, else the simulated
 * provider, so that Tally runs end to end with no account anywhere.
 */
export function createPaymentProvider(
  config: PaymentsConfig,
  dependencies: PaymentProviderDependencies,
): StripePaymentProvider | SimulatedPaymentProvider {
  const logger = dependencies.logger ?? silentPaymentsLogger;
  if (config.STRIPE_SECRET_KEY) {
    if (!config.STRIPE_WEBHOOK_SECRET) {
      // loadConfig already refuses this; repeated here because unverified webhooks would move orders.
      throw new Error('STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set');
    }
    logger.info(
      { provider: 'stripe', live: config.STRIPE_SECRET_KEY.startsWith('sk_live_') },
      'payment provider selected',
    );
    return new StripePaymentProvider({
      secretKey: config.STRIPE_SECRET_KEY,
      webhookSecret: config.STRIPE_WEBHOOK_SECRET,
    });
  }
  logger.info(
    {
      provider: 'simulated',
      latencyMs: config.SIMULATED_PAYMENT_LATENCY_MS,
      failureRate: config.SIMULATED_PAYMENT_FAILURE_RATE,
      webhooks: dependencies.deliver ? 'delivered' : 'not delivered',
    },
    'payment provider selected',
  );
  return new SimulatedPaymentProvider({
    sql: dependencies.sql,
    webhookSecret: config.SIMULATED_WEBHOOK_SECRET,
    latencyMs: config.SIMULATED_PAYMENT_LATENCY_MS,
    failureRate: config.SIMULATED_PAYMENT_FAILURE_RATE,
    logger,
    ...(dependencies.deliver ? { deliver: dependencies.deliver } : {}),
  });
}
