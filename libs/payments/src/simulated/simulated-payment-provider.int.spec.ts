import { randomUUID } from 'node:crypto';
import { migrate, PgliteSqlClient, type SqlClient } from '@tally/database';
import { createTestSchema, type TestSchema } from '@tally/testing';
import Stripe from 'stripe';
import {
  type AuthorizePaymentRequest,
  PaymentOperationRejected,
  PaymentProviderUnavailable,
  type PaymentWebhookEvent,
  WebhookSignatureInvalid,
  WebhookTimestampOutOfTolerance,
} from '../payment-provider.port';
import type { PaymentsLogger } from '../payments-logger';
import { paymentsMigrations } from '../payments.migrations';
import {
  SimulatedPaymentProvider,
  type SimulatedPaymentProviderOptions,
  type WebhookDelivery,
} from './simulated-payment-provider';

const secret = 'whsec_simulated_int_test';
const eur = (amount: number) => ({ amount, currency: 'EUR' });

/** A fresh authorization request: fresh ids and a fresh idempotency key. */
function authorization(paymentMethodId = 'pm_card_visa', amount = 2500): AuthorizePaymentRequest {
  return {
    paymentId: randomUUID(),
    orderId: randomUUID(),
    amount: eur(amount),
    paymentMethodId,
    idempotencyKey: `authorize-${randomUUID()}`,
  };
}

interface Delivered {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Records every webhook handed over; `failures` makes the first n attempts fail. */
function recordingDelivery(failures = 0): { deliver: WebhookDelivery; attempts: Delivered[] } {
  const attempts: Delivered[] = [];
  return {
    attempts,
    deliver: (body, headers) => {
      attempts.push({ body, headers });
      return attempts.length <= failures
        ? Promise.reject(new Error(`endpoint down (attempt ${attempts.length})`))
        : Promise.resolve();
    },
  };
}

class RecordingLogger implements PaymentsLogger {
  readonly lines: { level: string; fields: object; message: string }[] = [];
  info(fields: object, message: string) {
    this.lines.push({ level: 'info', fields, message });
  }
  warn(fields: object, message: string) {
    this.lines.push({ level: 'warn', fields, message });
  }
  error(fields: object, message: string) {
    this.lines.push({ level: 'error', fields, message });
  }
}

async function countRows(sql: SqlClient, table: string): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]?.n ?? 0;
}

describe('SimulatedPaymentProvider on PostgreSQL', () => {
  let db: TestSchema;
  const providers: SimulatedPaymentProvider[] = [];

  /** A provider on the test schema; `sql` defaults to the schema's main client. */
  function provider(options: Partial<SimulatedPaymentProviderOptions> = {}): SimulatedPaymentProvider {
    const created = new SimulatedPaymentProvider({ sql: db.client, webhookSecret: secret, ...options });
    providers.push(created);
    return created;
  }

  beforeEach(async () => {
    db = await createTestSchema('payments');
    await migrate(db.client, [paymentsMigrations]);
  });

  afterEach(async () => {
    await Promise.all(providers.splice(0).map((p) => p.flushWebhooks()));
    await db.drop();
  });

  describe('authorize', () => {
    it('authorizes pm_card_visa and holds the amount', async () => {
      const request = authorization('pm_card_visa', 4200);
      const result = await provider().authorize(request);

      expect(result).toEqual({
        status: 'authorized',
        providerPaymentId: expect.stringMatching(/^pi_sim_[0-9a-f]{32}$/) as string,
        amount: eur(4200),
      });
      const { rows } = await db.client.query(
        'SELECT payment_id, order_id, status, amount::int AS amount FROM simulated_payments',
      );
      expect(rows).toEqual([
        { payment_id: request.paymentId, order_id: request.orderId, status: 'authorized', amount: 4200 },
      ]);
    });

    it.each([
      ['pm_card_chargeDeclined', 'card_declined'],
      ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
      ['pm_card_authenticationRequired', 'authentication_required'],
    ])('declines %s with %s, keeping the declined payment', async (paymentMethodId, reason) => {
      const result = await provider().authorize(authorization(paymentMethodId));

      expect(result).toMatchObject({ status: 'declined', reason, message: expect.any(String) as string });
      expect(result.providerPaymentId).toMatch(/^pi_sim_/);
      expect(await countRows(db.client, "simulated_payments WHERE status = 'declined'")).toBe(1);
    });

    it('refuses an unknown payment method before creating a payment (no provider id)', async () => {
      const result = await provider().authorize(authorization('pm_made_up'));

      expect(result).toMatchObject({
        status: 'declined',
        providerPaymentId: null,
        reason: 'resource_missing',
      });
      expect(await countRows(db.client, 'simulated_payments')).toBe(0);
    });

    it('refuses an amount below one minor unit', async () => {
      const result = await provider().authorize(authorization('pm_card_visa', 0));
      expect(result).toMatchObject({
        status: 'declined',
        providerPaymentId: null,
        reason: 'amount_too_small',
      });
    });
  });

  describe('idempotency', () => {
    it('returns the first result to a retried call and creates one payment', async () => {
      const simulated = provider();
      const request = authorization();

      const first = await simulated.authorize(request);
      const retried = await simulated.authorize(request);

      expect(retried).toEqual(first);
      expect(await countRows(db.client, 'simulated_payments')).toBe(1);
    });

    it('holds across two instances on the same schema racing with one key', async () => {
      const a = provider({ sql: db.connect(4) });
      const b = provider({ sql: db.connect(4) });
      const request = authorization();

      const results = await Promise.all([
        a.authorize(request),
        b.authorize(request),
        a.authorize(request),
        b.authorize(request),
      ]);

      const [first, ...others] = results;
      expect(first.status).toBe('authorized');
      for (const other of others) expect(other).toEqual(first);
      expect(await countRows(db.client, 'simulated_payments')).toBe(1);
    });

    it('captures once when two instances race to capture with one key', async () => {
      const a = provider({ sql: db.connect(4) });
      const b = provider({ sql: db.connect(4) });
      const authorized = await a.authorize(authorization('pm_card_visa', 900));
      if (authorized.status !== 'authorized') throw new Error('expected an authorization');
      const capture = {
        providerPaymentId: authorized.providerPaymentId,
        idempotencyKey: `capture-${randomUUID()}`,
      };

      const [x, y] = await Promise.all([a.capture(capture), b.capture(capture)]);

      expect(x).toEqual({ providerPaymentId: authorized.providerPaymentId, amount: eur(900) });
      expect(y).toEqual(x);
    });

    it('refuses a key reused for a different request, as Stripe does', async () => {
      const simulated = provider();
      const request = authorization('pm_card_visa', 1000);
      await simulated.authorize(request);

      await expect(simulated.authorize({ ...request, amount: eur(2000) })).rejects.toThrow(
        PaymentOperationRejected,
      );
    });

    it('survives a restart: a new instance on a new connection sees the first result and the payment', async () => {
      const before = db.connect(2);
      const request = authorization();
      const first = await provider({ sql: before }).authorize(request);
      await before.close();

      const after = provider({ sql: db.connect(2) });
      expect(await after.authorize(request)).toEqual(first);
      if (first.status !== 'authorized') throw new Error('expected an authorization');
      await expect(
        after.capture({
          providerPaymentId: first.providerPaymentId,
          idempotencyKey: `capture-${randomUUID()}`,
        }),
      ).resolves.toEqual({ providerPaymentId: first.providerPaymentId, amount: first.amount });
    });

    it('stores nothing for a refused call, so its key stays usable', async () => {
      const simulated = provider();
      const key = `capture-${randomUUID()}`;
      await expect(
        simulated.capture({ providerPaymentId: 'pi_sim_unknown', idempotencyKey: key }),
      ).rejects.toThrow(PaymentOperationRejected);
      expect(await countRows(db.client, 'simulated_payment_requests')).toBe(0);
    });
  });

  it('reports a storage failure as the provider being unavailable (retryable)', async () => {
    const sql = db.connect(1);
    await sql.close();
    const error: unknown = await provider({ sql })
      .authorize(authorization())
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PaymentProviderUnavailable);
    expect(error).toMatchObject({ code: 'PAYMENT_PROVIDER_UNAVAILABLE', retryable: true });
  });

  describe('capture, void and refund', () => {
    async function authorized(simulated: SimulatedPaymentProvider, amount = 5000): Promise<string> {
      const result = await simulated.authorize(authorization('pm_card_visa', amount));
      if (result.status !== 'authorized') throw new Error('expected an authorization');
      return result.providerPaymentId;
    }
    const key = (what: string) => `${what}-${randomUUID()}`;

    it('captures the whole hold by default, or less when asked', async () => {
      const simulated = provider();
      const whole = await authorized(simulated, 5000);
      const part = await authorized(simulated, 5000);

      expect(await simulated.capture({ providerPaymentId: whole, idempotencyKey: key('c') })).toEqual({
        providerPaymentId: whole,
        amount: eur(5000),
      });
      expect(
        await simulated.capture({ providerPaymentId: part, amount: eur(3000), idempotencyKey: key('c') }),
      ).toEqual({ providerPaymentId: part, amount: eur(3000) });
    });

    it('reports the existing capture when a captured payment is captured again with another key', async () => {
      const simulated = provider();
      const id = await authorized(simulated, 5000);
      await simulated.capture({ providerPaymentId: id, amount: eur(4000), idempotencyKey: key('c') });

      expect(await simulated.capture({ providerPaymentId: id, idempotencyKey: key('c') })).toEqual({
        providerPaymentId: id,
        amount: eur(4000),
      });
    });

    it('refuses to capture more than held, in another currency, or a voided or declined payment', async () => {
      const simulated = provider();
      const id = await authorized(simulated, 5000);
      await expect(
        simulated.capture({ providerPaymentId: id, amount: eur(5001), idempotencyKey: key('c') }),
      ).rejects.toThrow(PaymentOperationRejected);
      await expect(
        simulated.capture({
          providerPaymentId: id,
          amount: { amount: 100, currency: 'USD' },
          idempotencyKey: key('c'),
        }),
      ).rejects.toThrow(PaymentOperationRejected);

      await simulated.void({ providerPaymentId: id, idempotencyKey: key('v') });
      await expect(simulated.capture({ providerPaymentId: id, idempotencyKey: key('c') })).rejects.toThrow(
        /voided and cannot be captured/,
      );

      const declined = await simulated.authorize(authorization('pm_card_chargeDeclined'));
      await expect(
        simulated.capture({ providerPaymentId: declined.providerPaymentId ?? '', idempotencyKey: key('c') }),
      ).rejects.toThrow(/declined and cannot be captured/);
    });

    it('voids a hold once; voiding again changes nothing; a captured payment cannot be voided', async () => {
      const simulated = provider();
      const id = await authorized(simulated);
      await simulated.void({ providerPaymentId: id, idempotencyKey: key('v') });
      await simulated.void({ providerPaymentId: id, idempotencyKey: key('v') });
      const { rows } = await db.client.query(
        'SELECT status FROM simulated_payments WHERE provider_payment_id = $1',
        [id],
      );
      expect(rows).toEqual([{ status: 'voided' }]);

      const captured = await authorized(simulated);
      await simulated.capture({ providerPaymentId: captured, idempotencyKey: key('c') });
      await expect(simulated.void({ providerPaymentId: captured, idempotencyKey: key('v') })).rejects.toThrow(
        /refund it instead/,
      );
    });

    it('refunds in parts, never more than was captured', async () => {
      const simulated = provider();
      const id = await authorized(simulated, 5000);
      await simulated.capture({ providerPaymentId: id, amount: eur(4000), idempotencyKey: key('c') });
      const refund = (amount: number) => ({
        paymentId: randomUUID(),
        orderId: randomUUID(),
        providerPaymentId: id,
        amount: eur(amount),
        refundId: randomUUID(),
        idempotencyKey: key('r'),
      });

      const first = await simulated.refund(refund(1500));
      const second = await simulated.refund(refund(2500));
      await expect(simulated.refund(refund(1))).rejects.toThrow(/0 EUR remains to refund/);

      expect(first).toEqual({
        providerRefundId: expect.stringMatching(/^re_sim_/) as string,
        amount: eur(1500),
      });
      expect(second.providerRefundId).not.toBe(first.providerRefundId);
      expect(await countRows(db.client, 'simulated_payment_refunds')).toBe(2);
    });

    it('refuses to refund a payment that was not captured', async () => {
      const simulated = provider();
      const id = await authorized(simulated);
      await expect(
        simulated.refund({
          paymentId: randomUUID(),
          orderId: randomUUID(),
          providerPaymentId: id,
          amount: eur(100),
          refundId: randomUUID(),
          idempotencyKey: key('r'),
        }),
      ).rejects.toThrow(/only a captured payment can be refunded/);
    });
  });

  describe('latency and failure rate', () => {
    it('declines the configured fraction of new authorizations with processing_error, drawn from the random source', async () => {
      const draws = [0.1, 0.9, 0.29, 0.3, 0.75];
      const simulated = provider({ failureRate: 0.3, random: () => draws.shift() ?? 1 });

      const outcomes = [];
      for (let i = 0; i < 5; i++) outcomes.push(await simulated.authorize(authorization('pm_card_visa')));

      expect(outcomes.map((o) => (o.status === 'declined' ? o.reason : o.status))).toEqual([
        'processing_error',
        'authorized',
        'processing_error',
        'authorized',
        'authorized',
      ]);
    });

    it('draws no random number for a replayed call, so the replay keeps the first outcome', async () => {
      let draws = 0;
      const simulated = provider({
        failureRate: 0.5,
        random: () => {
          draws++;
          return draws === 1 ? 0.1 : 0.9;
        },
      });
      const request = authorization();

      const first = await simulated.authorize(request);
      const replay = await simulated.authorize(request);

      expect(first).toMatchObject({ status: 'declined', reason: 'processing_error' });
      expect(replay).toEqual(first);
      expect(draws).toBe(1);
    });

    it('waits the configured latency before deciding, then delivers the webhook', async () => {
      const waits: { ms: number; release: () => void }[] = [];
      const sleep = (ms: number) =>
        new Promise<void>((release) => {
          waits.push({ ms, release });
        });
      const { deliver, attempts } = recordingDelivery();
      const simulated = provider({ latencyMs: 750, sleep, deliver });

      let settled = false;
      const pending = simulated.authorize(authorization()).then((result) => {
        settled = true;
        return result;
      });
      await new Promise((resolve) => setImmediate(resolve));

      expect(waits.map((w) => w.ms)).toEqual([750]);
      expect(settled).toBe(false);
      expect(await countRows(db.client, 'simulated_payments')).toBe(0);
      expect(attempts).toHaveLength(0);

      waits[0]?.release();
      expect((await pending).status).toBe('authorized');
      await simulated.flushWebhooks();
      expect(attempts).toHaveLength(1);
    });
  });

  describe('webhooks', () => {
    it('delivers each outcome as a signed webhook that parseWebhook reads back', async () => {
      const { deliver, attempts } = recordingDelivery();
      const simulated = provider({ deliver });
      const request = authorization('pm_card_visa', 3000);

      const result = await simulated.authorize(request);
      if (result.status !== 'authorized') throw new Error('expected an authorization');
      await simulated.capture({
        providerPaymentId: result.providerPaymentId,
        idempotencyKey: `c-${randomUUID()}`,
      });
      await simulated.flushWebhooks();

      const events = attempts.map((a) => simulated.parseWebhook(a.body, a.headers));
      const ids = {
        paymentId: request.paymentId,
        orderId: request.orderId,
        providerPaymentId: result.providerPaymentId,
      };
      expect(events).toEqual<PaymentWebhookEvent[]>([
        {
          providerEventId: expect.stringMatching(/^evt_sim_/) as string,
          kind: 'authorized',
          ...ids,
          amount: eur(3000),
        },
        {
          providerEventId: expect.stringMatching(/^evt_sim_/) as string,
          kind: 'captured',
          ...ids,
          amount: eur(3000),
        },
      ]);
      expect(events[0]?.providerEventId).not.toBe(events[1]?.providerEventId);
      expect(attempts[0]?.headers['Stripe-Signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    });

    it('signs webhooks so that the Stripe SDK verifies them with the same secret', async () => {
      const { deliver, attempts } = recordingDelivery();
      const simulated = provider({ deliver });
      await simulated.authorize(authorization('pm_card_chargeDeclined'));
      await simulated.flushWebhooks();

      const [delivered] = attempts;
      if (!delivered) throw new Error('expected a delivery');
      const event = new Stripe('sk_test_unused').webhooks.constructEvent(
        delivered.body,
        delivered.headers['Stripe-Signature'] ?? '',
        secret,
      );
      expect(event.type as string).toBe('payment.declined');
    });

    it('sends no second webhook for a replayed call', async () => {
      const { deliver, attempts } = recordingDelivery();
      const simulated = provider({ deliver });
      const request = authorization();
      await simulated.authorize(request);
      await simulated.authorize(request);
      await simulated.flushWebhooks();

      expect(attempts).toHaveLength(1);
    });

    it('rejects a delivery with a bad signature, a tampered body or a replayed timestamp', async () => {
      let now = new Date('2026-03-01T12:00:00Z');
      const { deliver, attempts } = recordingDelivery();
      const simulated = provider({ deliver, clock: () => now });
      await simulated.authorize(authorization());
      await simulated.flushWebhooks();
      const [delivered] = attempts;
      if (!delivered) throw new Error('expected a delivery');

      expect(() => simulated.parseWebhook(delivered.body, {})).toThrow(WebhookSignatureInvalid);
      expect(() =>
        simulated.parseWebhook(delivered.body.replace('"EUR"', '"USD"'), delivered.headers),
      ).toThrow(WebhookSignatureInvalid);
      const other = new SimulatedPaymentProvider({ sql: db.client, webhookSecret: 'whsec_other' });
      expect(() => other.parseWebhook(delivered.body, delivered.headers, now)).toThrow(
        WebhookSignatureInvalid,
      );

      now = new Date(now.getTime() + 301_000);
      expect(() => simulated.parseWebhook(delivered.body, delivered.headers)).toThrow(
        WebhookTimestampOutOfTolerance,
      );
    });

    it('retries a failed delivery with backoff, then delivers the same event', async () => {
      const backoff: number[] = [];
      const { deliver, attempts } = recordingDelivery(2);
      const logger = new RecordingLogger();
      const simulated = provider({
        deliver,
        logger,
        sleep: (ms) => {
          if (ms > 0) backoff.push(ms);
          return Promise.resolve();
        },
        webhookRetry: { attempts: 5, initialDelayMs: 100 },
      });

      const result = await simulated.authorize(authorization());
      await simulated.flushWebhooks();

      expect(result.status).toBe('authorized');
      expect(attempts).toHaveLength(3);
      expect(backoff).toEqual([100, 200]);
      const eventIds = attempts.map((a) => (JSON.parse(a.body) as { id: string }).id);
      expect(new Set(eventIds).size).toBe(1);
      expect(logger.lines.map((l) => l.level)).toEqual(['warn', 'warn', 'info']);
    });

    it('gives up after the bounded number of attempts and logs it; the call result stands', async () => {
      const { deliver, attempts } = recordingDelivery(Number.MAX_SAFE_INTEGER);
      const logger = new RecordingLogger();
      const backoff: number[] = [];
      const simulated = provider({
        deliver,
        logger,
        sleep: (ms) => {
          if (ms > 0) backoff.push(ms);
          return Promise.resolve();
        },
        webhookRetry: { attempts: 4, initialDelayMs: 100, maxDelayMs: 250 },
      });

      const result = await simulated.authorize(authorization());
      await simulated.flushWebhooks();

      expect(result.status).toBe('authorized');
      expect(attempts).toHaveLength(4);
      expect(backoff).toEqual([100, 200, 250]);
      expect(logger.lines.at(-1)).toMatchObject({
        level: 'error',
        message: 'simulated payment webhook not delivered; gave up',
        fields: { attempts: 4 },
      });
    });
  });
});

// Embedded mode (DESIGN.md §8) runs the same SQL on PGlite: one connection, Postgres in WASM.
describe('SimulatedPaymentProvider on PGlite', () => {
  it('authorizes, replays, captures and refunds on the embedded database', async () => {
    const sql = await PgliteSqlClient.open();
    try {
      await migrate(sql, [paymentsMigrations]);
      const simulated = new SimulatedPaymentProvider({ sql, webhookSecret: secret });
      const request = authorization('pm_card_visa', 1999);

      const result = await simulated.authorize(request);
      expect(await simulated.authorize(request)).toEqual(result);
      if (result.status !== 'authorized') throw new Error('expected an authorization');
      await simulated.capture({ providerPaymentId: result.providerPaymentId, idempotencyKey: randomUUID() });
      const refund = await simulated.refund({
        paymentId: request.paymentId,
        orderId: request.orderId,
        providerPaymentId: result.providerPaymentId,
        amount: eur(999),
        refundId: randomUUID(),
        idempotencyKey: randomUUID(),
      });

      expect(refund.amount).toEqual(eur(999));
      const { rows } = await sql.query(
        'SELECT status, amount_captured::int AS captured, amount_refunded::int AS refunded FROM simulated_payments',
      );
      expect(rows).toEqual([{ status: 'captured', captured: 1999, refunded: 999 }]);
    } finally {
      await sql.close();
    }
  });
});
