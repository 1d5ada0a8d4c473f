import Stripe from 'stripe';
import { WebhookSignatureInvalid, WebhookTimestampOutOfTolerance } from '../payment-provider.port';
import { signWebhookPayload, singleHeader, verifyWebhookSignature } from './webhook-signature';

const secret = 'whsec_unit_test_secret';
const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'payment.authorized' });
const signedAt = new Date('2026-03-01T12:00:00Z');
const seconds = (s: number) => new Date(signedAt.getTime() + s * 1000);

describe('webhook signatures (Stripe-compatible)', () => {
  const header = signWebhookPayload(body, secret, signedAt);

  it('signs as t=<unix>,v1=<hex HMAC-SHA256> and verifies its own signature', () => {
    expect(header).toMatch(new RegExp(`^t=${signedAt.getTime() / 1000},v1=[0-9a-f]{64}$`));
    expect(() => {
      verifyWebhookSignature(body, header, secret, signedAt);
    }).not.toThrow();
  });

  it("is accepted by the Stripe SDK's own verifier, and accepts the SDK's test header", () => {
    const sdk = new Stripe('sk_test_unused');
    expect(sdk.webhooks.constructEvent(body, header, secret, 300, undefined, signedAt.getTime()).id).toBe(
      'evt_1',
    );
    const sdkHeader = sdk.webhooks.generateTestHeaderString({
      payload: body,
      secret,
      timestamp: signedAt.getTime() / 1000,
    });
    expect(() => {
      verifyWebhookSignature(body, sdkHeader, secret, signedAt);
    }).not.toThrow();
  });

  it('accepts any one matching v1 signature among several (secret rotation)', () => {
    const other = signWebhookPayload(body, 'whsec_old', signedAt).split(',')[1] ?? '';
    const rotated = `${header},${other}`;
    expect(() => {
      verifyWebhookSignature(body, rotated, secret, signedAt);
    }).not.toThrow();
    expect(() => {
      verifyWebhookSignature(body, rotated, 'whsec_old', signedAt);
    }).not.toThrow();
  });

  it.each([
    ['a missing header', undefined],
    ['an empty header', ''],
    ['a header without a timestamp', header.replace(/^t=\d+,/, '')],
    ['a header without a v1 signature', header.replace(/,v1=.*/, '')],
    ['a truncated signature', header.slice(0, -2)],
  ])('rejects %s as an invalid signature', (_case, value) => {
    expect(() => {
      verifyWebhookSignature(body, value, secret, signedAt);
    }).toThrow(WebhookSignatureInvalid);
  });

  it('rejects a body signed with another secret', () => {
    const forged = signWebhookPayload(body, 'whsec_attacker', signedAt);
    expect(() => {
      verifyWebhookSignature(body, forged, secret, signedAt);
    }).toThrow(WebhookSignatureInvalid);
  });

  it('rejects a tampered body', () => {
    const tampered = body.replace('authorized', 'captured');
    expect(() => {
      verifyWebhookSignature(tampered, header, secret, signedAt);
    }).toThrow(WebhookSignatureInvalid);
  });

  it('rejects a tampered timestamp (the timestamp is signed too)', () => {
    const moved = header.replace(/^t=\d+/, `t=${signedAt.getTime() / 1000 + 1}`);
    expect(() => {
      verifyWebhookSignature(body, moved, secret, seconds(1));
    }).toThrow(WebhookSignatureInvalid);
  });

  it('accepts a delivery up to 300 s old or early, and refuses one beyond, either side', () => {
    expect(() => {
      verifyWebhookSignature(body, header, secret, seconds(300));
    }).not.toThrow();
    expect(() => {
      verifyWebhookSignature(body, header, secret, seconds(-300));
    }).not.toThrow();
    expect(() => {
      verifyWebhookSignature(body, header, secret, seconds(301));
    }).toThrow(WebhookTimestampOutOfTolerance);
    expect(() => {
      verifyWebhookSignature(body, header, secret, seconds(-301));
    }).toThrow(WebhookTimestampOutOfTolerance);
  });

  it('checks the signature before the timestamp, so a forged old delivery is an invalid signature', () => {
    const forged = signWebhookPayload(body, 'whsec_attacker', signedAt);
    expect(() => {
      verifyWebhookSignature(body, forged, secret, seconds(3600));
    }).toThrow(WebhookSignatureInvalid);
  });

  it('errors carry stable codes for the edge', () => {
    expect(new WebhookSignatureInvalid('x')).toMatchObject({
      code: 'WEBHOOK_SIGNATURE_INVALID',
      retryable: false,
      name: 'WebhookSignatureInvalid',
    });
    expect(new WebhookTimestampOutOfTolerance('x')).toMatchObject({
      code: 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
    });
  });
});

describe('singleHeader', () => {
  it('finds a header whatever the case of its name, as a string or a one-element array', () => {
    expect(singleHeader({ 'stripe-signature': 'a' }, 'Stripe-Signature')).toBe('a');
    expect(singleHeader({ 'STRIPE-SIGNATURE': ['b'] }, 'Stripe-Signature')).toBe('b');
    expect(singleHeader({ other: 'c' }, 'Stripe-Signature')).toBeUndefined();
  });

  it('refuses a signature header sent twice', () => {
    expect(() => singleHeader({ 'stripe-signature': ['a', 'b'] }, 'Stripe-Signature')).toThrow(
      WebhookSignatureInvalid,
    );
  });
});
