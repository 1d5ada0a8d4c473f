import { randomUUID } from 'node:crypto';
import type { SqlClient, SqlExecutor } from '@tally/database';
import type { Money } from '@tally/domain';
import {
  type AuthorizationResult,
  type AuthorizePaymentRequest,
  type CapturePaymentRequest,
  type CaptureResult,
  PaymentOperationRejected,
  type PaymentProvider,
  PaymentProviderError,
  PaymentProviderUnavailable,
  type PaymentWebhookEvent,
  type RefundPaymentRequest,
  type RefundResult,
  type VoidPaymentRequest,
  type WebhookHeaders,
} from '../payment-provider.port';
import { type PaymentsLogger, silentPaymentsLogger } from '../payments-logger';
import {
  rawBodyText,
  SIGNATURE_HEADER,
  signWebhookPayload,
  singleHeader,
  verifyWebhookSignature,
} from '../webhooks/webhook-signature';
import { type SimulatedCardOutcome, simulatedCardOutcome } from './simulated-cards';
import { parseSimulatedWebhookBody, simulatedWebhookBody } from './simulated-webhooks';

/**
 * Hands one signed webhook to Tally's webhook endpoint (the command-api POSTs it to its own
 * `/api/v1/payments/webhooks/simulated`). A rejected promise counts as a failed delivery and is retried.
 */
export type WebhookDelivery = (rawBody: string, headers: Readonly<Record<string, string>>) => Promise<void>;

export interface SimulatedPaymentProviderOptions {
  /** Where the provider keeps its payments (tables of {@link paymentsMigrations}). */
  readonly sql: SqlClient;
  /** Shared secret the webhooks are signed with (`SIMULATED_WEBHOOK_SECRET`). */
  readonly webhookSecret: string;
  /** Where outcomes are delivered as webhooks; without it, none are sent. */
  readonly deliver?: WebhookDelivery;
  /** How long each call takes, as a remote provider would (`SIMULATED_PAYMENT_LATENCY_MS`, default 0). */
  readonly latencyMs?: number;
  /**
   * The fraction of new authorizations declined with `processing_error` whatever the payment method
   * (`SIMULATED_PAYMENT_FAILURE_RATE`, 0..1, default 0).
   */
  readonly failureRate?: number;
  /** Uniform in [0, 1); inject a fixed sequence to make the failure rate deterministic in tests. */
  readonly random?: () => number;
  /** Waits `ms` (latency, retry backoff); injected by tests to control time without sleeping. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly clock?: () => Date;
  readonly logger?: PaymentsLogger;
  /** Webhook delivery attempts (default 5) and backoff, doubling from `initialDelayMs` (default 200 ms, at most 10 s). */
  readonly webhookRetry?: {
    readonly attempts?: number;
    readonly initialDelayMs?: number;
    readonly maxDelayMs?: number;
  };
}

type Operation = 'authorize' | 'capture' | 'void' | 'refund';
type OutcomeEvent = Exclude<PaymentWebhookEvent, { kind: 'ignored' }>;
/** What an operation decided: the response to store and return, and the webhook to send once committed. */
interface Decided<Response> {
  readonly response: Response;
  readonly webhook?: OutcomeEvent;
}

interface PaymentRow {
  provider_payment_id: string;
  payment_id: string;
  order_id: string;
  currency: string;
  amount: string;
  status: 'authorized' | 'declined' | 'captured' | 'voided';
  amount_captured: string;
  amount_refunded: string;
}

const PROCESSING_ERROR = {
  reason: 'processing_error',
  message: 'An error occurred while processing your card. Try again in a little bit.',
} as const;

const defaultSleep = (ms: number): Promise<void> =>
  ms <= 0
    ? Promise.resolve()
    : new Promise((resolve) => {
        // Unreferenced: a pending latency or retry must not keep a stopping process alive.
        setTimeout(resolve, ms).unref();
      });

/**
 * A payment provider that moves no money, for development, demos, tests and benchmarks; the default when
 * no Stripe key is configured. It follows Stripe's semantics closely enough that checkout code cannot tell
 * the difference: test PaymentMethod ids decide the outcome (see `simulated-cards.ts`), authorization and
 * capture are separate, every call is idempotent by its key (state in PostgreSQL, so it holds across
 * restarts and processes), and each outcome is also delivered as a webhook signed like Stripe's.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  readonly name = 'simulated' as const;

  private readonly sql: SqlClient;
  private readonly webhookSecret: string;
  private readonly deliver: WebhookDelivery | undefined;
  private readonly latencyMs: number;
  private readonly failureRate: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly clock: () => Date;
  private readonly logger: PaymentsLogger;
  private readonly retry: { attempts: number; initialDelayMs: number; maxDelayMs: number };
  private readonly deliveries = new Set<Promise<void>>();

  constructor(options: SimulatedPaymentProviderOptions) {
    this.sql = options.sql;
    this.webhookSecret = options.webhookSecret;
    this.deliver = options.deliver;
    this.latencyMs = options.latencyMs ?? 0;
    this.failureRate = options.failureRate ?? 0;
    if (!(this.failureRate >= 0 && this.failureRate <= 1)) {
      throw new RangeError(`failureRate must be between 0 and 1, got ${this.failureRate}`);
    }
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
    this.clock = options.clock ?? (() => new Date());
    this.logger = options.logger ?? silentPaymentsLogger;
    this.retry = {
      attempts: Math.max(1, options.webhookRetry?.attempts ?? 5),
      initialDelayMs: options.webhookRetry?.initialDelayMs ?? 200,
      maxDelayMs: options.webhookRetry?.maxDelayMs ?? 10_000,
    };
  }

  async authorize(request: AuthorizePaymentRequest): Promise<AuthorizationResult> {
    const { idempotencyKey, ...params } = request;
    return this.call(
      'authorize',
      idempotencyKey,
      params,
      async (tx): Promise<Decided<AuthorizationResult>> => {
        const invalid = invalidAmount(request.amount);
        // Stripe refuses such a request before creating a PaymentIntent: no provider id, no webhook.
        if (invalid) return { response: { status: 'declined', providerPaymentId: null, ...invalid } };
        const card = simulatedCardOutcome(request.paymentMethodId);
        if (card.outcome === 'declined' && card.reason === 'resource_missing') {
          const { reason, message } = card;
          return { response: { status: 'declined', providerPaymentId: null, reason, message } };
        }
        // The random draw happens only for a new authorization, so a replay never changes the outcome.
        const outcome: SimulatedCardOutcome =
          this.random() < this.failureRate ? { outcome: 'declined', ...PROCESSING_ERROR } : card;
        const providerPaymentId = newId('pi_sim');
        await tx.query(
          `INSERT INTO simulated_payments (provider_payment_id, payment_id, order_id, payment_method_id, currency,
           amount, status, decline_reason, decline_message)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            providerPaymentId,
            request.paymentId,
            request.orderId,
            request.paymentMethodId,
            request.amount.currency,
            request.amount.amount,
            outcome.outcome,
            outcome.outcome === 'declined' ? outcome.reason : null,
            outcome.outcome === 'declined' ? outcome.message : null,
          ],
        );
        const ids = {
          providerEventId: newId('evt_sim'),
          paymentId: request.paymentId,
          orderId: request.orderId,
          providerPaymentId,
        };
        if (outcome.outcome === 'authorized') {
          return {
            response: { status: 'authorized', providerPaymentId, amount: request.amount },
            webhook: { ...ids, kind: 'authorized', amount: request.amount },
          };
        }
        const { reason, message } = outcome;
        return {
          response: { status: 'declined', providerPaymentId, reason, message },
          webhook: { ...ids, kind: 'declined', reason, message },
        };
      },
    );
  }

  async capture(request: CapturePaymentRequest): Promise<CaptureResult> {
    const { idempotencyKey, ...params } = request;
    return this.call('capture', idempotencyKey, params, async (tx): Promise<Decided<CaptureResult>> => {
      const payment = await lockPayment(tx, request.providerPaymentId);
      const held = moneyOf(payment.amount, payment.currency);
      if (payment.status === 'captured') {
        // Already taken (by an earlier call with another key): report that capture, move nothing.
        return { response: { providerPaymentId: payment.provider_payment_id, amount: capturedOf(payment) } };
      }
      if (payment.status !== 'authorized') {
        throw new PaymentOperationRejected(
          `Payment ${payment.provider_payment_id} is ${payment.status} and cannot be captured`,
        );
      }
      const amount = request.amount ?? held;
      if (amount.currency !== held.currency || !isWholeAmount(amount.amount) || amount.amount > held.amount) {
        throw new PaymentOperationRejected(
          `Cannot capture ${amount.amount} ${amount.currency} of a hold of ${held.amount} ${held.currency}`,
        );
      }
      await tx.query(
        `UPDATE simulated_payments SET status = 'captured', amount_captured = $2, updated_at = now()
         WHERE provider_payment_id = $1`,
        [payment.provider_payment_id, amount.amount],
      );
      return {
        response: { providerPaymentId: payment.provider_payment_id, amount },
        webhook: { ...webhookIds(payment), kind: 'captured', amount },
      };
    });
  }

  async void(request: VoidPaymentRequest): Promise<void> {
    const { idempotencyKey, ...params } = request;
    await this.call('void', idempotencyKey, params, async (tx): Promise<Decided<null>> => {
      const payment = await lockPayment(tx, request.providerPaymentId);
      // Nothing is held on a declined or voided payment: voiding it again changes nothing.
      if (payment.status === 'voided' || payment.status === 'declined') return { response: null };
      if (payment.status === 'captured') {
        throw new PaymentOperationRejected(
          `Payment ${payment.provider_payment_id} is captured; refund it instead of voiding it`,
        );
      }
      await tx.query(
        `UPDATE simulated_payments SET status = 'voided', updated_at = now() WHERE provider_payment_id = $1`,
        [payment.provider_payment_id],
      );
      return { response: null, webhook: { ...webhookIds(payment), kind: 'voided' } };
    });
  }

  async refund(request: RefundPaymentRequest): Promise<RefundResult> {
    const { idempotencyKey, ...params } = request;
    return this.call('refund', idempotencyKey, params, async (tx): Promise<Decided<RefundResult>> => {
      const payment = await lockPayment(tx, request.providerPaymentId);
      if (payment.status !== 'captured') {
        throw new PaymentOperationRejected(
          `Payment ${payment.provider_payment_id} is ${payment.status}; only a captured payment can be refunded`,
        );
      }
      const captured = capturedOf(payment);
      const remaining = captured.amount - Number(payment.amount_refunded);
      const { amount } = request;
      if (
        amount.currency !== captured.currency ||
        !isWholeAmount(amount.amount) ||
        amount.amount > remaining
      ) {
        throw new PaymentOperationRejected(
          `Cannot refund ${amount.amount} ${amount.currency}: ${remaining} ${captured.currency} remains to refund`,
        );
      }
      const providerRefundId = newId('re_sim');
      await tx.query(
        `INSERT INTO simulated_payment_refunds (provider_refund_id, provider_payment_id, refund_id, amount)
         VALUES ($1, $2, $3, $4)`,
        [providerRefundId, payment.provider_payment_id, request.refundId, amount.amount],
      );
      await tx.query(
        `UPDATE simulated_payments SET amount_refunded = amount_refunded + $2, updated_at = now()
         WHERE provider_payment_id = $1`,
        [payment.provider_payment_id, amount.amount],
      );
      return {
        response: { providerRefundId, amount },
        webhook: {
          ...webhookIds(payment),
          kind: 'refunded',
          providerRefundId,
          refundId: request.refundId,
          amount,
        },
      };
    });
  }

  parseWebhook(
    rawBody: Buffer | string,
    headers: WebhookHeaders,
    now: Date = this.clock(),
  ): PaymentWebhookEvent {
    const text = rawBodyText(rawBody);
    verifyWebhookSignature(text, singleHeader(headers, SIGNATURE_HEADER), this.webhookSecret, now);
    return parseSimulatedWebhookBody(text);
  }

  /**
   * Resolves once every webhook delivery started so far has ended (delivered, or given up after the last
   * retry). For tests and graceful shutdown; deliveries never reject.
   */
  async flushWebhooks(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.all([...this.deliveries]);
  }

  /**
   * Runs one provider call: waits the configured latency, then in one transaction either claims the
   * idempotency key and decides, or returns the response the key already has. Concurrent calls with one
   * key (even from two processes) serialise on the key's row, so exactly one of them decides. A call that
   * throws stores nothing: its key stays free, like a request the provider never accepted.
   */
  private async call<Response>(
    operation: Operation,
    idempotencyKey: string,
    params: object,
    decide: (tx: SqlExecutor) => Promise<Decided<Response>>,
  ): Promise<Response> {
    await this.sleep(this.latencyMs);
    const request = JSON.stringify(params);
    const decided = await this.sql
      .transaction(async (tx): Promise<Decided<Response>> => {
        const claimed = await tx.query(
          `INSERT INTO simulated_payment_requests (idempotency_key, operation, request) VALUES ($1, $2, $3::jsonb)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
          [idempotencyKey, operation, request],
        );
        if (claimed.rows.length === 0)
          return { response: await replay<Response>(tx, idempotencyKey, operation, request) };
        const fresh = await decide(tx);
        await tx.query(
          'UPDATE simulated_payment_requests SET response = $2::jsonb WHERE idempotency_key = $1',
          [idempotencyKey, JSON.stringify(fresh.response)],
        );
        return fresh;
      })
      .catch((error: unknown) => {
        // The simulator's storage is its "network": when it fails, the call failed like an unreachable
        // provider's would, and the caller retries with the same key.
        if (error instanceof PaymentProviderError) throw error;
        throw new PaymentProviderUnavailable('The simulated payment provider could not reach its database', {
          cause: error,
        });
      });
    if (decided.webhook) this.announce(decided.webhook);
    return decided.response;
  }

  /** Sends the outcome as a webhook in the background; the caller already has the authoritative answer. */
  private announce(event: OutcomeEvent): void {
    if (!this.deliver) return;
    const delivery = this.deliverWithRetries(this.deliver, event).finally(() =>
      this.deliveries.delete(delivery),
    );
    this.deliveries.add(delivery);
  }

  private async deliverWithRetries(deliver: WebhookDelivery, event: OutcomeEvent): Promise<void> {
    const body = JSON.stringify(simulatedWebhookBody(event, this.clock()));
    const about = { eventId: event.providerEventId, kind: event.kind, paymentId: event.paymentId };
    for (let attempt = 1; ; attempt++) {
      try {
        // Each attempt is signed afresh, as Stripe does, so a retry hours later is not a stale signature.
        const headers = {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhookPayload(body, this.webhookSecret, this.clock()),
        };
        await deliver(body, headers);
        if (attempt > 1)
          this.logger.info({ ...about, attempt }, 'simulated payment webhook delivered after retrying');
        return;
      } catch (error) {
        const err = error instanceof Error ? error.message : String(error);
        if (attempt >= this.retry.attempts) {
          this.logger.error(
            { ...about, attempts: attempt, err },
            'simulated payment webhook not delivered; gave up',
          );
          return;
        }
        const delayMs = Math.min(this.retry.initialDelayMs * 2 ** (attempt - 1), this.retry.maxDelayMs);
        this.logger.warn(
          { ...about, attempt, delayMs, err },
          'simulated payment webhook delivery failed; retrying',
        );
        await this.sleep(delayMs);
      }
    }
  }
}

/** The first response to `idempotencyKey`, provided it answered the same request. */
async function replay<Response>(
  tx: SqlExecutor,
  idempotencyKey: string,
  operation: Operation,
  request: string,
): Promise<Response> {
  const { rows } = await tx.query<{ operation: string; same_request: boolean; response: Response | null }>(
    `SELECT operation, request = $2::jsonb AS same_request, response
     FROM simulated_payment_requests WHERE idempotency_key = $1`,
    [idempotencyKey, request],
  );
  const first = rows[0];
  if (first?.operation !== operation || !first.same_request) {
    throw new PaymentOperationRejected(
      `Idempotency key ${idempotencyKey} was already used for another request`,
    );
  }
  // A claimed key always has its response by the time its transaction commits.
  return first.response as Response;
}

async function lockPayment(tx: SqlExecutor, providerPaymentId: string): Promise<PaymentRow> {
  const { rows } = await tx.query<PaymentRow>(
    `SELECT provider_payment_id, payment_id, order_id, currency, amount::text AS amount, status,
            amount_captured::text AS amount_captured, amount_refunded::text AS amount_refunded
     FROM simulated_payments WHERE provider_payment_id = $1 FOR UPDATE`,
    [providerPaymentId],
  );
  const payment = rows[0];
  if (!payment) throw new PaymentOperationRejected(`No such payment: '${providerPaymentId}'`);
  return payment;
}

function webhookIds(payment: PaymentRow) {
  return {
    providerEventId: newId('evt_sim'),
    paymentId: payment.payment_id,
    orderId: payment.order_id,
    providerPaymentId: payment.provider_payment_id,
  };
}

const moneyOf = (amount: string | number, currency: string): Money => ({ amount: Number(amount), currency });
const capturedOf = (payment: PaymentRow): Money => moneyOf(payment.amount_captured, payment.currency);
const isWholeAmount = (amount: number) => Number.isSafeInteger(amount) && amount > 0;

/** Why Stripe would refuse this amount outright (its error codes), or null when it is acceptable. */
function invalidAmount(amount: Money): { reason: string; message: string } | null {
  if (!Number.isSafeInteger(amount.amount)) {
    return {
      reason: 'parameter_invalid_integer',
      message: 'The amount must be a whole number of minor units.',
    };
  }
  if (amount.amount < 1) return { reason: 'amount_too_small', message: 'The amount must be at least 1.' };
  if (!/^[A-Za-z]{3}$/.test(amount.currency)) {
    return { reason: 'parameter_invalid', message: `Invalid currency: '${amount.currency}'.` };
  }
  return null;
}

/** A Stripe-looking id (`pi_sim_...`, `re_sim_...`, `evt_sim_...`), unique per call. */
function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}
