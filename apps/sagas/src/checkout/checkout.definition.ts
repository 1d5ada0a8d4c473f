import {
  type CheckoutCommand,
  type CheckoutInputEvent,
  type CheckoutPaymentTimedOut,
  type CheckoutSettings,
  type CheckoutState,
  checkoutProcess,
  checkoutStreamId,
  type DomainEvent,
} from '@tally/domain';
import type { ProcessDefinition } from '../runtime/process-definition';

type StoreInputType = Exclude<CheckoutInputEvent['type'], CheckoutPaymentTimedOut['type']>;

/** Every store event the checkout process observes (its payment timeout comes from the runtime). */
export const CHECKOUT_EVENT_TYPES = [
  'CartCheckedOut',
  'OrderPlaced',
  'OrderNumberAssigned',
  'OrderStockReserved',
  'OrderConfirmed',
  'OrderPaymentCaptured',
  'OrderCancelled',
  'OrderShipped',
  'OrderDelivered',
  'OrderRefundRequested',
  'StockReserved',
  'StockReservationRejected',
  'StockReservationReleased',
  'StockReservationCommitted',
  'PaymentAuthorized',
  'PaymentDeclined',
  'PaymentCaptured',
  'PaymentVoided',
  'PaymentRefunded',
] as const satisfies readonly StoreInputType[];

// Compile-time guard: a new CheckoutInputEvent must be added above, or the process would never see it.
type MustBeNever<T extends never> = T;
type _EveryInputListed = MustBeNever<Exclude<StoreInputType, (typeof CHECKOUT_EVENT_TYPES)[number]>>;

/**
 * The checkout process manager (order placed -> stock reserved -> payment authorized -> confirmed and
 * captured, or compensated) as the runtime hosts it: one instance per order, recorded in
 * `checkout-<orderId>`.
 */
export function checkoutDefinition(
  settings: CheckoutSettings,
): ProcessDefinition<CheckoutInputEvent, CheckoutCommand, CheckoutPaymentTimedOut, CheckoutState> {
  return {
    name: 'checkout',
    manager: checkoutProcess(settings),
    eventTypes: CHECKOUT_EVENT_TYPES,
    instanceOf: orderIdOf,
    streamId: checkoutStreamId,
    recordTypes: { observed: 'CheckoutEventObserved', timeoutFired: 'CheckoutTimeoutFired' },
  };
}

/** Every checkout input carries the order id in its data. */
export function orderIdOf(event: DomainEvent): string | undefined {
  const data = event.data as { orderId?: unknown } | null;
  return typeof data?.orderId === 'string' && data.orderId !== '' ? data.orderId : undefined;
}
