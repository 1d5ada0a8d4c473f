import type { MigrationSet } from '@tally/database';

/**
 * The simulated payment provider's own state (module `payments`), so that it behaves like a real provider
 * across restarts and across processes sharing one database.
 *
 * - `simulated_payments`: one row per provider payment (Stripe's PaymentIntent): what was held, captured
 *   and refunded. Amounts in minor units.
 * - `simulated_payment_refunds`: one row per refund of a captured payment.
 * - `simulated_payment_requests`: the first response to each idempotency key, with the request it answered;
 *   a retried call returns that response, a key reused for another request is refused (as Stripe does).
 */
export const paymentsMigrations: MigrationSet = {
  module: 'payments',
  migrations: [
    {
      id: '0001_simulated_payments',
      sql: `CREATE TABLE simulated_payments (
  provider_payment_id text PRIMARY KEY,
  payment_id text NOT NULL,
  order_id text NOT NULL,
  payment_method_id text NOT NULL,
  currency text NOT NULL,
  amount bigint NOT NULL,
  status text NOT NULL,
  decline_reason text,
  decline_message text,
  amount_captured bigint NOT NULL DEFAULT 0,
  amount_refunded bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT simulated_payments_status CHECK (status IN ('authorized', 'declined', 'captured', 'voided')),
  CONSTRAINT simulated_payments_refunds_within_capture CHECK (amount_refunded <= amount_captured),
  CONSTRAINT simulated_payments_capture_within_amount CHECK (amount_captured <= amount)
);
CREATE INDEX simulated_payments_payment ON simulated_payments (payment_id);
CREATE TABLE simulated_payment_refunds (
  provider_refund_id text PRIMARY KEY,
  provider_payment_id text NOT NULL REFERENCES simulated_payments (provider_payment_id),
  refund_id text NOT NULL,
  amount bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX simulated_payment_refunds_payment ON simulated_payment_refunds (provider_payment_id);
CREATE TABLE simulated_payment_requests (
  idempotency_key text PRIMARY KEY,
  operation text NOT NULL,
  request jsonb NOT NULL,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
`,
    },
  ],
};
