import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { WebhookRejected, WebhookPayloadInvalid } from '@tally/payments';
import { HttpProblem, parseRequest, Roles } from '@tally/platform';
import type { FastifyRequest } from 'fastify';
import { PaymentWebhooks } from './payment-webhooks';
import { webhookPath, webhookProviders } from './payments.schemas';

/**
 * `POST /api/v1/payments/webhooks/{provider}`: the payment provider's signed events. The body arrives as
 * the raw bytes that were signed (see `shared/json-body.ts`); a delivery is verified, then recorded, and
 * answered 200 whether it was new, a replay, or about nothing Tally records, so that the provider stops
 * resending it. A failure to store it is a 5xx, which the provider retries.
 */
@Controller('api/v1/payments/webhooks')
@Roles('guest')
export class PaymentsController {
  constructor(private readonly webhooks: PaymentWebhooks) {}

  @Post(':provider')
  @HttpCode(200)
  async receive(@Req() request: FastifyRequest): Promise<{ received: true }> {
    const { provider } = this.providerOf(request);
    if (provider !== this.webhooks.providerName) {
      throw new HttpProblem(
        404,
        'PAYMENT_PROVIDER_NOT_CONFIGURED',
        'No such webhook endpoint',
        `Payments go through ${this.webhooks.providerName}; there is no ${provider} webhook endpoint.`,
        [
          {
            field: 'path.provider',
            message: `is not the configured provider (${this.webhooks.providerName})`,
          },
        ],
      );
    }
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    try {
      await this.webhooks.receive(rawBody, request.headers, request.id);
    } catch (error) {
      if (!(error instanceof WebhookRejected)) throw error;
      // Nothing is recorded for a delivery that cannot be verified or read.
      const field = error instanceof WebhookPayloadInvalid ? '(body)' : 'header.Stripe-Signature';
      throw new HttpProblem(400, error.code, 'Webhook rejected', error.message, [
        { field, message: error.message },
      ]);
    }
    return { received: true };
  }

  /** An unknown provider is an unknown endpoint (404), not a malformed request. */
  private providerOf(request: FastifyRequest): { provider: (typeof webhookProviders)[number] } {
    try {
      return parseRequest(webhookPath, request.params, 'path');
    } catch {
      throw new HttpProblem(
        404,
        'UNKNOWN_PAYMENT_PROVIDER',
        'No such webhook endpoint',
        `Webhooks exist for ${webhookProviders.join(' and ')} only.`,
        [{ field: 'path.provider', message: `must be one of ${webhookProviders.join(', ')}` }],
      );
    }
  }
}
