import { z } from 'zod';
import type { ApiOperation } from '../shared/openapi';

// Request shape of the webhook endpoint. Its body is checked by the provider against its signature, as
// received: it is never parsed or validated as JSON here.

/** The providers Tally has webhooks for. */
export const webhookProviders = ['stripe', 'simulated'] as const;

export const webhookPath = z.strictObject({
  provider: z.enum(webhookProviders).meta({ description: 'The configured payment provider' }),
});

/** Route of the webhook endpoint, as Fastify knows it (the body parser keeps its raw bytes). */
export const WEBHOOK_ROUTE = '/api/v1/payments/webhooks/:provider';

export const webhookReceived = z.object({ received: z.literal(true) });

export const paymentOperations: readonly ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/payments/webhooks/{provider}',
    operationId: 'receivePaymentWebhook',
    summary:
      "The payment provider's signed event (Stripe's format, `Stripe-Signature` header). A delivery replayed " +
      'changes nothing and is answered 200 again',
    tag: 'payments',
    params: webhookPath,
    body: z.unknown().meta({ description: "The provider's event, exactly as signed" }),
    success: { status: 200, description: 'Received', schema: webhookReceived },
    problems: [404],
    webhook: true,
  },
];
