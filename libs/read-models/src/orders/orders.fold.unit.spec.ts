import type { JsonValue } from '@tally/event-store';
import {
  asText,
  type FoldedOrder,
  foldOrders,
  minorUnits,
  orderTimelineEvents,
  type OrderTimelineRecord,
  timelineKey,
} from './orders.fold';

const eur = (amount: number) => ({ amount, currency: 'EUR' });
let position = 0;

/** A recorded event of `streamId` at `version`, stamped at `minute` past 09:00. */
function recorded(
  streamId: string,
  version: number,
  type: string,
  data: Record<string, JsonValue>,
  minute = version,
): OrderTimelineRecord {
  position += 1;
  const at = `2030-04-01T09:${String(minute).padStart(2, '0')}:00.000Z`;
  const [event] = orderTimelineEvents([
    {
      eventId: `event-${position}`,
      streamId,
      version,
      type,
      data,
      position: String(position).padStart(8, '0'),
      recordedAt: at,
      metadata: {
        commandId: 'c',
        correlationId: 'c',
        causationId: 'c',
        actor: { id: 'test', role: 'system' },
        occurredAt: at,
        schemaVersion: 1,
      },
    },
  ]);
  if (!event) throw new Error(`${type} is not an event of the orders projection`);
  return event;
}

const placed = recorded('order-o', 1, 'OrderPlaced', {
  orderId: 'o',
  cartId: 'cart',
  customerId: null,
  email: 'ada@example.com',
  lines: [],
  shippingAddress: {},
  shippingMethod: {},
  taxRateBasisPoints: 0,
  totals: { subtotal: eur(1000), shipping: eur(0), tax: eur(0), total: eur(1000) },
  paymentMethodId: 'pm',
  placedAt: 'yesterday',
});
const payment = (version: number, type: string, data: Record<string, JsonValue> = {}, minute = version) =>
  recorded('payment-p', version, type, { paymentId: 'p', orderId: 'o', ...data }, minute + 10);

describe('orders fold', () => {
  it('places an order once, stamped with when it happened when its own time is not one', () => {
    const fold = foldOrders(new Map(), new Set(), [placed, placed]);

    const order = fold.orders.get('o');
    expect(order?.placed?.placed_at).toBe(placed.metadata.occurredAt);
    expect(order?.state).toMatchObject({ status: 'pending', payment_status: 'none', version: 1 });
    expect(fold.timeline.map((row) => row.event_id)).toEqual([placed.eventId]);
  });

  it('applies a payment event only after the ones before it, however late it comes', () => {
    const fold = foldOrders(new Map(), new Set(), [
      placed,
      payment(1, 'PaymentInitiated', { amount: eur(1000), provider: 'simulated', paymentMethodId: 'pm' }),
      payment(3, 'PaymentCaptured', { providerPaymentId: 'pi', amount: eur(1000) }),
      payment(2, 'PaymentAuthorized', { providerPaymentId: 'pi', amount: eur(1000) }),
    ]);

    expect(fold.orders.get('o')?.state).toMatchObject({
      payment_status: 'captured',
      payment_version: 3,
      amount_authorized: '0',
      amount_captured: '1000',
      updated_at: '2030-04-01T09:13:00.000Z',
    });
    // Still history: the late authorization is in the timeline.
    expect(fold.timeline.map((row) => row.type)).toEqual([
      'OrderPlaced',
      'PaymentInitiated',
      'PaymentCaptured',
      'PaymentAuthorized',
    ]);
  });

  it('changes nothing for events the timeline holds already, nor for orders it does not know', () => {
    const stored: FoldedOrder = {
      state: {
        order_id: 'o',
        order_number: null,
        status: 'confirmed',
        cancellation_reason: null,
        payment_id: 'p',
        payment_version: 3,
        payment_status: 'captured',
        amount_authorized: '1000',
        amount_captured: '1000',
        amount_refunded: '0',
        decline_reason: null,
        shipped: false,
        carrier: null,
        tracking_number: null,
        updated_at: '2030-04-01T09:30:00.000Z',
        version: 5,
      },
      placed: null,
      changed: false,
    };
    const refund = payment(4, 'PaymentRefunded', { refundId: 'r', providerRefundId: 're', amount: eur(400) });
    const elsewhere = recorded('payment-q', 1, 'PaymentRefunded', {
      paymentId: 'q',
      orderId: 'unknown',
      refundId: 'r',
      providerRefundId: 're',
      amount: eur(400),
    });

    const fold = foldOrders(new Map([['o', stored]]), new Set([timelineKey('payment-p', 4)]), [
      refund,
      elsewhere,
    ]);

    expect(fold.orders.get('o')).toMatchObject({ changed: false, state: { amount_refunded: '0' } });
    expect(fold.timeline).toEqual([]);
  });

  it('reads parameters as the pg driver sends them and PostgreSQL reads a bigint', () => {
    expect([
      asText('a'),
      asText(7),
      asText(false),
      asText(null),
      asText(undefined),
      asText({ a: 1 }),
    ]).toEqual(['a', '7', 'false', null, null, '{"a":1}']);
    expect([minorUnits(1200), minorUnits(' -5 '), minorUnits(2 ** 60), minorUnits(undefined)]).toEqual([
      '1200',
      '-5',
      '1152921504606846976',
      null,
    ]);
    for (const amount of [12.5, '1.5', 'ten', true, {}, 2 ** 64, 1e21]) {
      expect(() => minorUnits(amount)).toThrow(TypeError);
    }
  });
});
