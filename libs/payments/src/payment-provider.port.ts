import type { Money, PaymentFailureReason, PaymentProviderName } from '@tally/domain';

/**
 * The payment provider port: the few things Tally asks of whoever moves the shopper's money.
 *
 * Money moves in two steps (manual capture): `authorize` holds the funds when the order is placed, and
 * `capture` takes them once the order is confirmed (stock reserved); `void` releases a hold that will
 * never be captured (out of stock, timeout). Every call carries an idempotency key chosen by the caller:
 * retrying a call with the same key never moves money twice and returns the first outcome.
 *
 * Outcomes also arrive as provider webhooks (`parseWebhook`), a second, idempotent path keyed by the
 * provider's ids: the synchronous answer is authoritative, the webhook fills in what a crash or a `pending`
 * answer left open. See docs/adr/0007-payment-providers.md.
 */
export interface PaymentProvider {
  /** Which provider this is; recorded on the payment (`PaymentInitiated.provider`) and in the webhook URL. */
  readonly name: PaymentProviderName;

  /**
   * Asks the provider to hold `amount` on the shopper's payment method for an order. A refusal is a
   * normal outcome (`declined`), not an error. Throws {@link PaymentProviderUnavailable} when the provider
   * cannot be reached (retry with the same idempotency key).
   */
  authorize(request: AuthorizePaymentRequest): Promise<AuthorizationResult>;

  /**
   * Takes held funds: all of them, or `amount` (at most the authorized amount). Capturing a payment that
   * is already captured returns that capture. Throws {@link PaymentOperationRejected} when the payment is
   * not capturable (voided, declined, unknown).
   */
  capture(request: CapturePaymentRequest): Promise<CaptureResult>;

  /**
   * Releases an authorization that will not be captured; no money moves. Voiding a voided payment is a
   * no-op. Throws {@link PaymentOperationRejected} when the payment was already captured (refund instead).
   */
  void(request: VoidPaymentRequest): Promise<void>;

  /**
   * Gives `amount` of a captured payment back to the shopper. Throws {@link PaymentOperationRejected} when
   * the payment was not captured or the amount exceeds what remains unrefunded.
   */
  refund(request: RefundPaymentRequest): Promise<RefundResult>;

  /**
   * Verifies and reads one webhook delivery, exactly as received (the raw body: a re-serialised JSON body
   * no longer matches its signature). `now` is the receipt time used for the replay window (default: the
   * clock). Throws {@link WebhookSignatureInvalid} (missing or wrong signature, tampered body),
   * {@link WebhookTimestampOutOfTolerance} (older than 300 s or more than 300 s in the future: a replay)
   * or {@link WebhookPayloadInvalid} (correctly signed but not a payload this provider sends).
   */
  parseWebhook(rawBody: Buffer | string, headers: WebhookHeaders, now?: Date): PaymentWebhookEvent;
}

/** HTTP request headers as Node/Fastify hand them over (names in any case). */
export type WebhookHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Hold `amount` for an order on the shopper's payment method. */
export interface AuthorizePaymentRequest {
  /** Tally's payment id; travels with the provider's payment as metadata so webhooks map back to it. */
  readonly paymentId: string;
  readonly orderId: string;
  /** In minor units (cents), ISO-4217 currency (`EUR`). */
  readonly amount: Money;
  /**
   * A provider token for the shopper's payment method (`pm_...`), never card data: Stripe.js returns it in
   * Stripe mode; the simulated provider takes Stripe's test ids (`pm_card_visa`, ...).
   */
  readonly paymentMethodId: string;
  readonly idempotencyKey: string;
}

/** Funds are held and can be captured. */
export interface PaymentAuthorized {
  readonly status: 'authorized';
  readonly providerPaymentId: string;
  /** The amount held (what `capture` can take at most). */
  readonly amount: Money;
}

/** The provider refused; the order cannot be paid with this payment method. */
export interface PaymentRefused {
  readonly status: 'declined';
  /** Null when the provider refused before creating a payment of its own. */
  readonly providerPaymentId: string | null;
  /** In Stripe's vocabulary: `card_declined`, `insufficient_funds`, `authentication_required`, ... */
  readonly reason: PaymentFailureReason;
  /** A sentence the shopper can be shown. */
  readonly message: string;
}

/** The provider has not decided yet; the outcome arrives by webhook (`authorized` or `declined`). */
export interface PaymentPending {
  readonly status: 'pending';
  readonly providerPaymentId: string;
}

export type AuthorizationResult = PaymentAuthorized | PaymentRefused | PaymentPending;

export interface CapturePaymentRequest {
  readonly providerPaymentId: string;
  /** Capture less than authorized (the rest is released); omit to capture everything held. */
  readonly amount?: Money;
  readonly idempotencyKey: string;
}

export interface CaptureResult {
  readonly providerPaymentId: string;
  /** What was actually taken. */
  readonly amount: Money;
}

export interface VoidPaymentRequest {
  readonly providerPaymentId: string;
  readonly idempotencyKey: string;
}

export interface RefundPaymentRequest {
  /** Tally's payment and order ids travel with the refund so its webhook maps back to them. */
  readonly paymentId: string;
  readonly orderId: string;
  readonly providerPaymentId: string;
  readonly amount: Money;
  /** Tally's id for this refund (one per refund request); the provider's refund id comes back. */
  readonly refundId: string;
  readonly idempotencyKey: string;
}

export interface RefundResult {
  readonly providerRefundId: string;
  readonly amount: Money;
}

/** Fields every webhook about one of Tally's payments carries. */
interface PaymentWebhookBase {
  /** The provider's id for this delivery's event: the same event delivered twice has the same id. */
  readonly providerEventId: string;
  /** Tally's ids, read from the metadata Tally attached when it created the payment. */
  readonly paymentId: string;
  readonly orderId: string;
  readonly providerPaymentId: string;
}

/** Funds are held (`amount` is what can be captured). */
export interface PaymentAuthorizedWebhook extends PaymentWebhookBase {
  readonly kind: 'authorized';
  readonly amount: Money;
}

/** The provider refused the payment. */
export interface PaymentDeclinedWebhook extends PaymentWebhookBase {
  readonly kind: 'declined';
  readonly reason: PaymentFailureReason;
  readonly message: string;
}

/** Held funds were taken (`amount` actually captured). */
export interface PaymentCapturedWebhook extends PaymentWebhookBase {
  readonly kind: 'captured';
  readonly amount: Money;
}

/** The hold was released. */
export interface PaymentVoidedWebhook extends PaymentWebhookBase {
  readonly kind: 'voided';
}

/** Money went back to the shopper. */
export interface PaymentRefundedWebhook extends PaymentWebhookBase {
  readonly kind: 'refunded';
  readonly providerRefundId: string;
  /** Tally's refund id when Tally asked for the refund; null for a refund made in the provider's dashboard. */
  readonly refundId: string | null;
  readonly amount: Money;
}

/** A verified event that Tally does not act on (another event type, or a payment Tally did not create). */
export interface IgnoredWebhook {
  readonly kind: 'ignored';
  readonly providerEventId: string;
  /** The provider's event type, for the log. */
  readonly type: string;
}

/** One verified webhook delivery, in Tally's terms. */
export type PaymentWebhookEvent =
  | PaymentAuthorizedWebhook
  | PaymentDeclinedWebhook
  | PaymentCapturedWebhook
  | PaymentVoidedWebhook
  | PaymentRefundedWebhook
  | IgnoredWebhook;

/** Every failure a provider reports other than a decline. `code` is stable; `retryable` says what to do. */
export abstract class PaymentProviderError extends Error {
  abstract readonly code: string;
  /** True when the same call, with the same idempotency key, may succeed later. */
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The provider could not be reached or failed (network, 5xx, rate limit). Retry with the same key. */
export class PaymentProviderUnavailable extends PaymentProviderError {
  readonly code = 'PAYMENT_PROVIDER_UNAVAILABLE';
  readonly retryable = true;
}

/**
 * The provider refused the operation itself (capture of a voided payment, refund above what was captured,
 * an idempotency key reused with other parameters): retrying will not help.
 */
export class PaymentOperationRejected extends PaymentProviderError {
  readonly code = 'PAYMENT_OPERATION_REJECTED';
  readonly retryable = false;
}

/** A webhook delivery was refused; the edge answers 400 and nothing is recorded. */
export abstract class WebhookRejected extends PaymentProviderError {
  readonly retryable = false;
}

/** The signature header is missing or malformed, or does not match the body and the shared secret. */
export class WebhookSignatureInvalid extends WebhookRejected {
  readonly code = 'WEBHOOK_SIGNATURE_INVALID';
}

/** The signature is valid but its timestamp is outside the 300 s window: a replayed delivery. */
export class WebhookTimestampOutOfTolerance extends WebhookRejected {
  readonly code = 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE';
}

/** The delivery is correctly signed but is not a payload this provider sends (not JSON, fields missing). */
export class WebhookPayloadInvalid extends WebhookRejected {
  readonly code = 'WEBHOOK_PAYLOAD_INVALID';
}

/** How long a signed webhook stays acceptable, either side of the receipt time (Stripe's default). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
