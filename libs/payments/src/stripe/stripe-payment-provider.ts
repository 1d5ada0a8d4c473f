import type { Money } from '@tally/domain';
import Stripe from 'stripe';
import {
  type AuthorizationResult,
  type AuthorizePaymentRequest,
  type CapturePaymentRequest,
  type CaptureResult,
  PaymentOperationRejected,
  type PaymentProvider,
  PaymentProviderUnavailable,
  type PaymentRefused,
  type PaymentWebhookEvent,
  type RefundPaymentRequest,
  type RefundResult,
  type VoidPaymentRequest,
  WEBHOOK_TOLERANCE_SECONDS,
  type WebhookHeaders,
  WebhookPayloadInvalid,
  WebhookSignatureInvalid,
  WebhookTimestampOutOfTolerance,
} from '../payment-provider.port';
import {
  assertWithinTolerance,
  parseSignatureHeader,
  SIGNATURE_HEADER,
  singleHeader,
} from '../webhooks/webhook-signature';

export interface StripePaymentProviderOptions {
  /** `STRIPE_SECRET_KEY` (`sk_live_...` or `sk_test_...`). */
  readonly secretKey: string;
  /** `STRIPE_WEBHOOK_SECRET` of the webhook endpoint (`whsec_...`). */
  readonly webhookSecret: string;
  /**
   * How often the SDK retries a call that failed on the network, with a 409 or a 5xx (default 2). Its
   * retries reuse the call's idempotency key, so they never move money twice.
   */
  readonly maxNetworkRetries?: number;
  /** Per-request timeout (default 20 s, well below the SDK's 80 s, so checkout learns of an outage quickly). */
  readonly timeoutMs?: number;
  /** Where the Stripe API is; only tests point it elsewhere (a local stand-in). Default api.stripe.com. */
  readonly api?: { readonly host: string; readonly port: number; readonly protocol: 'http' | 'https' };
}

type StripeError = InstanceType<typeof Stripe.errors.StripeError>;

/**
 * The {@link PaymentProvider} over Stripe PaymentIntents with manual capture.
 *
 * Card data never reaches Tally: the storefront collects it with Stripe.js and hands Tally a PaymentMethod
 * id (`pm_...`). `authorize` creates and confirms a PaymentIntent in one call with
 * `capture_method: 'manual'`, so the funds are held until the order is confirmed. Tally has no
 * 3-D Secure step (there is no shopper on the line when the process manager authorizes), so intents are
 * confirmed with `error_on_requires_action`: a card that demands authentication is declined with
 * `authentication_required` instead of hanging in `requires_action`. Payment methods that redirect are
 * disallowed for the same reason.
 */
export class StripePaymentProvider implements PaymentProvider {
  readonly name = 'stripe' as const;
  private readonly stripe: Stripe;
  private readonly webhookSecret: string;

  constructor(options: StripePaymentProviderOptions) {
    this.webhookSecret = options.webhookSecret;
    this.stripe = new Stripe(options.secretKey, {
      maxNetworkRetries: options.maxNetworkRetries ?? 2,
      timeout: options.timeoutMs ?? 20_000,
      appInfo: { name: 'Tally' },
      ...(options.api ?? {}),
    });
  }

  async authorize(request: AuthorizePaymentRequest): Promise<AuthorizationResult> {
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: request.amount.amount,
          currency: request.amount.currency.toLowerCase(),
          payment_method: request.paymentMethodId,
          confirm: true,
          capture_method: 'manual',
          error_on_requires_action: true,
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          metadata: { paymentId: request.paymentId, orderId: request.orderId },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return authorizationFromIntent(intent);
    } catch (error) {
      if (!isStripeError(error)) throw error;
      // A refused card (402) and a request Stripe cannot process for this payment method (400: an unknown
      // or unusable PaymentMethod, an amount below the minimum) both mean this order cannot be paid so.
      if (error instanceof Stripe.errors.StripeCardError || isPlainInvalidRequest(error)) {
        return declinedFromError(error);
      }
      throw providerError(error, 'authorize');
    }
  }

  async capture(request: CapturePaymentRequest): Promise<CaptureResult> {
    try {
      const intent = await this.stripe.paymentIntents.capture(
        request.providerPaymentId,
        request.amount ? { amount_to_capture: request.amount.amount } : {},
        { idempotencyKey: request.idempotencyKey },
      );
      return { providerPaymentId: intent.id, amount: moneyOf(intent.amount_received, intent.currency) };
    } catch (error) {
      if (!isStripeError(error)) throw error;
      // Captured earlier with another key (e.g. after the 24 h key expiry): report that capture.
      const intent = error.payment_intent;
      if (isPlainInvalidRequest(error) && intent?.status === 'succeeded') {
        return { providerPaymentId: intent.id, amount: moneyOf(intent.amount_received, intent.currency) };
      }
      throw providerError(error, 'capture');
    }
  }

  async void(request: VoidPaymentRequest): Promise<void> {
    try {
      await this.stripe.paymentIntents.cancel(
        request.providerPaymentId,
        { cancellation_reason: 'abandoned' },
        { idempotencyKey: request.idempotencyKey },
      );
    } catch (error) {
      if (!isStripeError(error)) throw error;
      // Already cancelled: the hold is released, which is all a void asks.
      if (isPlainInvalidRequest(error) && error.payment_intent?.status === 'canceled') return;
      throw providerError(error, 'void');
    }
  }

  async refund(request: RefundPaymentRequest): Promise<RefundResult> {
    try {
      const refund = await this.stripe.refunds.create(
        {
          payment_intent: request.providerPaymentId,
          amount: request.amount.amount,
          metadata: { paymentId: request.paymentId, orderId: request.orderId, refundId: request.refundId },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return { providerRefundId: refund.id, amount: moneyOf(refund.amount, refund.currency) };
    } catch (error) {
      if (!isStripeError(error)) throw error;
      throw providerError(error, 'refund');
    }
  }

  parseWebhook(
    rawBody: Buffer | string,
    headers: WebhookHeaders,
    now: Date = new Date(),
  ): PaymentWebhookEvent {
    const signature = singleHeader(headers, SIGNATURE_HEADER);
    if (!signature) throw new WebhookSignatureInvalid(`The ${SIGNATURE_HEADER} header is missing`);
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(
        rawBody,
        signature,
        this.webhookSecret,
        WEBHOOK_TOLERANCE_SECONDS,
        undefined,
        now.getTime(),
      );
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) {
        throw new WebhookPayloadInvalid('The webhook body is not a Stripe event', { cause: error });
      }
      // The SDK checks the signature before the timestamp and reports both alike: check the signature
      // alone to tell a replay (valid but old) from a forgery.
      if (this.signatureMatches(rawBody, signature)) {
        throw new WebhookTimestampOutOfTolerance(
          `The webhook was signed more than ${WEBHOOK_TOLERANCE_SECONDS} s ago`,
          { cause: error },
        );
      }
      throw new WebhookSignatureInvalid(error.message, { cause: error });
    }
    // The SDK accepts any timestamp in the future; one far ahead is as suspect as one far behind.
    const timestamp = parseSignatureHeader(signature)?.timestamp;
    if (timestamp !== undefined) assertWithinTolerance(timestamp, now, WEBHOOK_TOLERANCE_SECONDS);
    return webhookFromStripeEvent(event);
  }

  private signatureMatches(rawBody: Buffer | string, signature: string): boolean {
    try {
      // Tolerance 0 = no timestamp check.
      return this.stripe.webhooks.signature?.verifyHeader(rawBody, signature, this.webhookSecret, 0) ?? false;
    } catch {
      return false;
    }
  }
}

/**
 * Maps a verified Stripe event to Tally's terms. Tally's payments carry `paymentId` and `orderId` in their
 * metadata (and refunds `refundId` too); an object without them was not created by Tally (another
 * integration on the same account, a dashboard payment) and is ignored.
 *
 * `charge.refunded` is ignored on purpose: it reports a charge's cumulative refunds without the id of the
 * refund that caused it (refunds are no longer embedded in charges since API version 2022-11-15), while
 * `refund.created` / `refund.updated` report each refund once with its own id, which is what Tally keys
 * refunds by.
 */
export function webhookFromStripeEvent(event: Stripe.Event): PaymentWebhookEvent {
  const ignored = { kind: 'ignored', providerEventId: event.id, type: event.type } as const;
  switch (event.type) {
    case 'payment_intent.amount_capturable_updated': {
      const intent = event.data.object;
      const ids = tallyIds(event.id, intent.id, intent.metadata);
      // The capturable amount drops to zero on capture or cancel; those have their own events.
      if (!ids || intent.amount_capturable <= 0) return ignored;
      return { ...ids, kind: 'authorized', amount: moneyOf(intent.amount_capturable, intent.currency) };
    }
    case 'payment_intent.payment_failed': {
      const intent = event.data.object;
      const ids = tallyIds(event.id, intent.id, intent.metadata);
      if (!ids) return ignored;
      const failure = intent.last_payment_error;
      return {
        ...ids,
        kind: 'declined',
        reason: declineReason(failure?.decline_code, failure?.code) ?? 'payment_failed',
        message: failure?.message ?? 'The payment failed.',
      };
    }
    case 'payment_intent.succeeded': {
      const intent = event.data.object;
      const ids = tallyIds(event.id, intent.id, intent.metadata);
      if (!ids) return ignored;
      return { ...ids, kind: 'captured', amount: moneyOf(intent.amount_received, intent.currency) };
    }
    case 'payment_intent.canceled': {
      const intent = event.data.object;
      const ids = tallyIds(event.id, intent.id, intent.metadata);
      return ids ? { ...ids, kind: 'voided' } : ignored;
    }
    case 'refund.created':
    case 'refund.updated': {
      const refund = event.data.object;
      // A refund can be pending (some banks) and only counts once it succeeded.
      if (refund.status !== 'succeeded' || !refund.payment_intent) return ignored;
      const intentId =
        typeof refund.payment_intent === 'string' ? refund.payment_intent : refund.payment_intent.id;
      const ids = tallyIds(event.id, intentId, refund.metadata);
      if (!ids) return ignored;
      return {
        ...ids,
        kind: 'refunded',
        providerRefundId: refund.id,
        refundId: metadataValue(refund.metadata, 'refundId'),
        amount: moneyOf(refund.amount, refund.currency),
      };
    }
    default:
      return ignored;
  }
}

/**
 * Stripe's reason for a decline: the issuer's `decline_code` when it is specific, else the error `code`.
 * A generic issuer decline (`generic_decline`) reads as `card_declined`, the code the shopper's bank gave.
 */
export function declineReason(
  declineCode: string | null | undefined,
  code: string | null | undefined,
): string | undefined {
  if (declineCode && declineCode !== 'generic_decline') return declineCode;
  return code ?? declineCode ?? undefined;
}

function authorizationFromIntent(intent: Stripe.PaymentIntent): AuthorizationResult {
  switch (intent.status) {
    case 'requires_capture':
      return {
        status: 'authorized',
        providerPaymentId: intent.id,
        amount: moneyOf(intent.amount_capturable, intent.currency),
      };
    case 'processing':
      // Some payment methods settle asynchronously: the outcome comes by webhook.
      return { status: 'pending', providerPaymentId: intent.id };
    case 'requires_action':
      // Not expected with error_on_requires_action; if Stripe still asks, Tally cannot authenticate.
      return {
        status: 'declined',
        providerPaymentId: intent.id,
        reason: 'authentication_required',
        message: 'Your card was declined. This transaction requires authentication.',
      };
    case 'requires_payment_method': {
      const failure = intent.last_payment_error;
      return {
        status: 'declined',
        providerPaymentId: intent.id,
        reason: declineReason(failure?.decline_code, failure?.code) ?? 'payment_failed',
        message: failure?.message ?? 'The payment failed.',
      };
    }
    default:
      // requires_confirmation, canceled, succeeded: none can follow a manual-capture confirm.
      return {
        status: 'declined',
        providerPaymentId: intent.id,
        reason: 'unexpected_payment_state',
        message: `The payment is ${intent.status}.`,
      };
  }
}

function declinedFromError(error: StripeError): PaymentRefused {
  return {
    status: 'declined',
    providerPaymentId: error.payment_intent?.id ?? null,
    reason: declineReason(error.decline_code, error.code) ?? 'card_declined',
    message: error.message,
  };
}

/** The port's error for a Stripe failure that is not a decline. */
function providerError(error: StripeError, operation: string): Error {
  const message = `Stripe ${operation} failed: ${error.message}`;
  // Stripe answered: the request itself is wrong for this payment (unexpected state, amount too large,
  // unknown id, a key reused with other parameters). Retrying the same request cannot succeed.
  if (isPlainInvalidRequest(error) || error instanceof Stripe.errors.StripeIdempotencyError) {
    return new PaymentOperationRejected(message, { cause: error });
  }
  // Network failures, 5xx, rate limits, and a bad or revoked API key (401/403), which the operator fixes:
  // all worth retrying with the same key.
  return new PaymentProviderUnavailable(message, { cause: error });
}

function isStripeError(error: unknown): error is StripeError {
  return error instanceof Stripe.errors.StripeError;
}

function isPlainInvalidRequest(error: StripeError): boolean {
  return (
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    !(error instanceof Stripe.errors.StripeIdempotencyError)
  );
}

function tallyIds(providerEventId: string, providerPaymentId: string, metadata: Stripe.Metadata | null) {
  const paymentId = metadataValue(metadata, 'paymentId');
  const orderId = metadataValue(metadata, 'orderId');
  return paymentId && orderId ? { providerEventId, paymentId, orderId, providerPaymentId } : null;
}

function metadataValue(metadata: Stripe.Metadata | null, key: string): string | null {
  const value = metadata && Object.hasOwn(metadata, key) ? metadata[key] : undefined;
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Stripe amounts are in the currency's smallest unit, as Tally's are; currencies are lowercase there. */
function moneyOf(amount: number, currency: string): Money {
  return { amount, currency: currency.toUpperCase() };
}
