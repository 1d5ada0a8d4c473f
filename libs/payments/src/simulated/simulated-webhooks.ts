import { z } from 'zod';
import { type PaymentWebhookEvent, WebhookPayloadInvalid } from '../payment-provider.port';

/**
 * The simulated provider's webhook body: Stripe's event envelope (`id`, `object`, `type`, `created`,
 * `data`) around Tally's own terms, so the same endpoint code and the same signature scheme serve both.
 */
export interface SimulatedWebhookBody {
  readonly id: string;
  readonly object: 'event';
  readonly type: `payment.${Exclude<PaymentWebhookEvent['kind'], 'ignored'>}`;
  /** Unix seconds when the outcome happened. */
  readonly created: number;
  readonly data: Readonly<Record<string, unknown>>;
}

/** The webhook body announcing `event` (everything but its event id, which becomes the envelope's). */
export function simulatedWebhookBody(
  event: Exclude<PaymentWebhookEvent, { kind: 'ignored' }>,
  created: Date,
): SimulatedWebhookBody {
  const { providerEventId, kind, ...data } = event;
  return {
    id: providerEventId,
    object: 'event',
    type: `payment.${kind}`,
    created: Math.floor(created.getTime() / 1000),
    data,
  };
}

const money = z.object({ amount: z.number().int(), currency: z.string().length(3) });
const ids = {
  paymentId: z.string().min(1),
  orderId: z.string().min(1),
  providerPaymentId: z.string().min(1),
};
const event = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({ id: z.string().min(1), type: z.literal(type), data });
const knownEvent = z.discriminatedUnion('type', [
  event('payment.authorized', z.object({ ...ids, amount: money })),
  event('payment.declined', z.object({ ...ids, reason: z.string().min(1), message: z.string() })),
  event('payment.captured', z.object({ ...ids, amount: money })),
  event('payment.voided', z.object(ids)),
  event(
    'payment.refunded',
    z.object({
      ...ids,
      amount: money,
      providerRefundId: z.string().min(1),
      refundId: z.string().min(1).nullable(),
    }),
  ),
]);
const anyEvent = z.object({ id: z.string().min(1), type: z.string().min(1) });
const KNOWN_TYPES: ReadonlySet<string> = new Set(knownEvent.options.map((option) => option.shape.type.value));

/** Reads a verified simulated webhook body; throws {@link WebhookPayloadInvalid} when it is not one. */
export function parseSimulatedWebhookBody(text: string): PaymentWebhookEvent {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new WebhookPayloadInvalid('The webhook body is not JSON', { cause: error });
  }
  const outer = anyEvent.safeParse(json);
  if (!outer.success) throw new WebhookPayloadInvalid('The webhook body is not an event (id, type)');
  // Types this build does not know (a newer simulator) are acknowledged and ignored, as with Stripe.
  if (!KNOWN_TYPES.has(outer.data.type)) {
    return { kind: 'ignored', providerEventId: outer.data.id, type: outer.data.type };
  }
  const parsed = knownEvent.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.'));
    throw new WebhookPayloadInvalid(`The ${outer.data.type} event has invalid ${fields.join(', ')}`);
  }
  const providerEventId = parsed.data.id;
  switch (parsed.data.type) {
    case 'payment.authorized':
      return { providerEventId, kind: 'authorized', ...parsed.data.data };
    case 'payment.declined':
      return { providerEventId, kind: 'declined', ...parsed.data.data };
    case 'payment.captured':
      return { providerEventId, kind: 'captured', ...parsed.data.data };
    case 'payment.voided':
      return { providerEventId, kind: 'voided', ...parsed.data.data };
    case 'payment.refunded':
      return { providerEventId, kind: 'refunded', ...parsed.data.data };
  }
}
