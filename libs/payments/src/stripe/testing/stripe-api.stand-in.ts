import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the stand-in received, as the Stripe SDK sent it. */
export interface RecordedStripeRequest {
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey: string | undefined;
  readonly authorization: string | undefined;
  /** The form-encoded body, flat: `metadata[paymentId]`, `automatic_payment_methods[enabled]`, ... */
  readonly params: Readonly<Record<string, string>>;
}

interface Intent {
  id: string;
  object: 'payment_intent';
  amount: number;
  currency: string;
  status: string;
  capture_method: string;
  amount_capturable: number;
  amount_received: number;
  metadata: Record<string, string>;
  last_payment_error: Record<string, string> | null;
  refunded: number;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

/**
 * A local stand-in for the few Stripe API endpoints Tally calls (create/capture/cancel PaymentIntent,
 * create Refund), because api.stripe.com cannot be reached from the test environment. It answers like
 * Stripe's test mode does for Stripe's test PaymentMethod ids, keeps intents in memory, replays the first
 * response to a repeated `Idempotency-Key` (as Stripe does), and records every request so tests can
 * assert what the adapter sent. `pm_async_processing` stands for a payment method that settles later.
 */
export class StripeApiStandIn {
  readonly requests: RecordedStripeRequest[] = [];
  private readonly intents = new Map<string, Intent>();
  private readonly replies = new Map<string, Reply>();
  private failures: { remaining: number; status: number } = { remaining: 0, status: 500 };

  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
  }

  static async start(): Promise<StripeApiStandIn> {
    const standIn = new StripeApiStandIn();
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  /** SDK options that send its requests here. */
  get api(): { host: string; port: number; protocol: 'http' } {
    return { host: '127.0.0.1', port: (this.server.address() as AddressInfo).port, protocol: 'http' };
  }

  /** The next `count` requests fail with `status` before Stripe would have processed them. */
  failNext(count: number, status = 500): void {
    this.failures = { remaining: count, status };
  }

  /** The stand-in's view of one PaymentIntent. */
  intent(id: string): Readonly<Intent> | undefined {
    return this.intents.get(id);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const idempotencyKey = header(req, 'idempotency-key');
    const path = (req.url ?? '').split('?')[0] ?? '';
    this.requests.push({
      method: req.method ?? '',
      path,
      idempotencyKey,
      authorization: header(req, 'authorization'),
      params,
    });

    let reply: Reply;
    if (this.failures.remaining > 0) {
      this.failures.remaining--;
      reply = apiError(this.failures.status, 'api_error', 'api_error', 'Something went wrong on our end.');
    } else {
      const replayed = idempotencyKey ? this.replies.get(idempotencyKey) : undefined;
      reply = replayed ?? this.route(req.method ?? '', path, params);
      if (idempotencyKey && !replayed) this.replies.set(idempotencyKey, reply);
    }
    res.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': `req_${hex()}` });
    res.end(JSON.stringify(reply.body));
  }

  private route(method: string, path: string, params: Record<string, string>): Reply {
    if (method !== 'POST') return notFound(path);
    if (path === '/v1/payment_intents') return this.createIntent(params);
    if (path === '/v1/refunds') return this.createRefund(params);
    const action = /^\/v1\/payment_intents\/([^/]+)\/(capture|cancel)$/.exec(path);
    if (!action) return notFound(path);
    const intent = this.intents.get(action[1] ?? '');
    if (!intent) return missing('payment_intent', action[1] ?? '');
    return action[2] === 'capture' ? capture(intent, params) : cancel(intent);
  }

  private createIntent(params: Record<string, string>): Reply {
    const paymentMethod = params.payment_method ?? '';
    const known = [
      'pm_card_visa',
      'pm_card_chargeDeclined',
      'pm_card_chargeDeclinedInsufficientFunds',
      'pm_card_authenticationRequired',
      'pm_async_processing',
    ];
    if (!known.includes(paymentMethod)) return missing('payment_method', paymentMethod);
    const amount = Number(params.amount);
    const intent: Intent = {
      id: `pi_${hex()}`,
      object: 'payment_intent',
      amount,
      currency: params.currency ?? '',
      status: 'requires_capture',
      capture_method: params.capture_method ?? 'automatic',
      amount_capturable: amount,
      amount_received: 0,
      metadata: metadataOf(params),
      last_payment_error: null,
      refunded: 0,
    };
    this.intents.set(intent.id, intent);
    const decline = (code: string, declineCode: string, message: string): Reply => {
      Object.assign(intent, {
        status: 'requires_payment_method',
        amount_capturable: 0,
        last_payment_error: { type: 'card_error', code, decline_code: declineCode, message },
      });
      return {
        status: 402,
        body: {
          error: {
            type: 'card_error',
            code,
            decline_code: declineCode,
            message,
            payment_intent: publicIntent(intent),
          },
        },
      };
    };
    switch (paymentMethod) {
      case 'pm_card_chargeDeclined':
        return decline('card_declined', 'generic_decline', 'Your card was declined.');
      case 'pm_card_chargeDeclinedInsufficientFunds':
        return decline('card_declined', 'insufficient_funds', 'Your card has insufficient funds.');
      case 'pm_card_authenticationRequired':
        if (params.error_on_requires_action === 'true') {
          return decline(
            'authentication_required',
            'authentication_required',
            'Your card was declined. This transaction requires authentication.',
          );
        }
        Object.assign(intent, { status: 'requires_action', amount_capturable: 0 });
        return ok(intent);
      case 'pm_async_processing':
        Object.assign(intent, { status: 'processing', amount_capturable: 0 });
        return ok(intent);
      default:
        return ok(intent);
    }
  }

  private createRefund(params: Record<string, string>): Reply {
    const intent = this.intents.get(params.payment_intent ?? '');
    if (!intent) return missing('payment_intent', params.payment_intent ?? '');
    const amount = params.amount ? Number(params.amount) : intent.amount_received - intent.refunded;
    if (intent.status !== 'succeeded') {
      return apiError(
        400,
        'invalid_request_error',
        'charge_not_captured',
        'This PaymentIntent has no charge to refund.',
      );
    }
    if (amount > intent.amount_received - intent.refunded) {
      return apiError(
        400,
        'invalid_request_error',
        'amount_too_large',
        'Refund amount is greater than unrefunded amount.',
      );
    }
    intent.refunded += amount;
    return {
      status: 200,
      body: {
        id: `re_${hex()}`,
        object: 'refund',
        amount,
        currency: intent.currency,
        status: 'succeeded',
        payment_intent: intent.id,
        metadata: metadataOf(params),
      },
    };
  }
}

function capture(intent: Intent, params: Record<string, string>): Reply {
  if (intent.status !== 'requires_capture') return unexpectedState(intent, 'capture');
  const amount = params.amount_to_capture ? Number(params.amount_to_capture) : intent.amount_capturable;
  if (amount > intent.amount_capturable) {
    return apiError(
      400,
      'invalid_request_error',
      'amount_too_large',
      'Amount to capture exceeds the capturable amount.',
    );
  }
  Object.assign(intent, { status: 'succeeded', amount_received: amount, amount_capturable: 0 });
  return ok(intent);
}

function cancel(intent: Intent): Reply {
  if (!['requires_capture', 'requires_payment_method', 'requires_action'].includes(intent.status)) {
    return unexpectedState(intent, 'cancel');
  }
  Object.assign(intent, { status: 'canceled', amount_capturable: 0 });
  return ok(intent);
}

function unexpectedState(intent: Intent, action: string): Reply {
  return {
    status: 400,
    body: {
      error: {
        type: 'invalid_request_error',
        code: 'payment_intent_unexpected_state',
        message: `You cannot ${action} this PaymentIntent because it has a status of ${intent.status}.`,
        payment_intent: publicIntent(intent),
      },
    },
  };
}

function publicIntent(intent: Intent): Omit<Intent, 'refunded'> {
  const { refunded: _refunded, ...shown } = intent;
  return shown;
}

const ok = (intent: Intent): Reply => ({ status: 200, body: publicIntent(intent) });
const apiError = (status: number, type: string, code: string, message: string): Reply => ({
  status,
  body: { error: { type, code, message } },
});
const missing = (param: string, id: string): Reply => ({
  status: 400,
  body: {
    error: {
      type: 'invalid_request_error',
      code: 'resource_missing',
      param,
      message: `No such ${param === 'payment_method' ? 'PaymentMethod' : 'PaymentIntent'}: '${id}'`,
    },
  },
});
const notFound = (path: string): Reply =>
  apiError(404, 'invalid_request_error', 'resource_missing', `Unrecognized request URL (POST: ${path})`);

function metadataOf(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(params)
      .filter(([key]) => key.startsWith('metadata['))
      .map(([key, value]) => [key.slice('metadata['.length, -1), value]),
  );
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const hex = () => randomBytes(12).toString('hex');
