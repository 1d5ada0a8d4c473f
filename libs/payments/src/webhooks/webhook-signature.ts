import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  WEBHOOK_TOLERANCE_SECONDS,
  type WebhookHeaders,
  WebhookSignatureInvalid,
  WebhookTimestampOutOfTolerance,
} from '../payment-provider.port';

/** The header Stripe signs its webhooks with; the simulated provider uses the same one. */
export const SIGNATURE_HEADER = 'Stripe-Signature';

/**
 * Signs a webhook body the way Stripe does: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` keyed by
 * the endpoint's shared secret. Returns the `Stripe-Signature` header value.
 */
export function signWebhookPayload(payload: string, secret: string, at: Date): string {
  const timestamp = Math.floor(at.getTime() / 1000);
  return `t=${timestamp},v1=${hmacHex(secret, `${timestamp}.${payload}`)}`;
}

/**
 * Verifies a Stripe-style signature header against the raw body: one of the `v1` signatures must match
 * (compared in constant time, so response timing reveals nothing about the expected value), then the
 * timestamp must be within `toleranceSeconds` of `now`, either side: an older one is a replay, a much
 * newer one was forged or comes from a badly wrong clock. The signature is checked first so that an
 * unauthenticated caller learns nothing from the timestamp check.
 */
export function verifyWebhookSignature(
  payload: string,
  header: string | undefined,
  secret: string,
  now: Date,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): void {
  if (!header) throw new WebhookSignatureInvalid(`The ${SIGNATURE_HEADER} header is missing`);
  const parsed = parseSignatureHeader(header);
  if (!parsed) throw new WebhookSignatureInvalid(`The ${SIGNATURE_HEADER} header is malformed`);
  const expected = Buffer.from(hmacHex(secret, `${parsed.timestamp}.${payload}`), 'hex');
  const matches = parsed.signatures.some((signature) => {
    const given = Buffer.from(signature, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookSignatureInvalid('The webhook signature does not match its body');
  assertWithinTolerance(parsed.timestamp, now, toleranceSeconds);
}

/** Throws {@link WebhookTimestampOutOfTolerance} when `timestamp` (unix seconds) is too far from `now`. */
export function assertWithinTolerance(timestamp: number, now: Date, toleranceSeconds: number): void {
  const skew = Math.floor(now.getTime() / 1000) - timestamp;
  if (Math.abs(skew) > toleranceSeconds) {
    throw new WebhookTimestampOutOfTolerance(
      skew > 0
        ? `The webhook was signed ${skew} s ago, more than the ${toleranceSeconds} s allowed`
        : `The webhook is signed ${-skew} s in the future, more than the ${toleranceSeconds} s allowed`,
    );
  }
}

/** `t` and every `v1` value of a signature header; null when there is no usable timestamp or signature. */
export function parseSignatureHeader(
  header: string,
): { readonly timestamp: number; readonly signatures: readonly string[] } | null {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    // Other schemes (Stripe's v0 test signatures) are ignored, as Stripe's own verifier does.
    if (key === 'v1' && /^[0-9a-f]+$/i.test(value)) signatures.push(value);
  }
  return timestamp === null || signatures.length === 0 ? null : { timestamp, signatures };
}

/**
 * The one value of a header, whatever the case of its name. Several values for a signature header mean a
 * proxy merged two deliveries: refuse them rather than guess.
 */
export function singleHeader(headers: WebhookHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    if (typeof value === 'string') return value;
    if (value.length === 1) return value[0];
    throw new WebhookSignatureInvalid(`The ${name} header was sent ${value.length} times`);
  }
  return undefined;
}

/** The raw body as text (webhook signatures cover the exact bytes received, decoded as UTF-8). */
export function rawBodyText(rawBody: Buffer | string): string {
  return typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
}

function hmacHex(secret: string, content: string): string {
  return createHmac('sha256', secret).update(content, 'utf8').digest('hex');
}
