import { cartDecider } from '../cart';
import { productDecider } from '../catalog';
import { checkoutProcess } from '../checkout';
import { customerDecider } from '../identity';
import { stockItemDecider } from '../inventory';
import { ORDER_NUMBER_STREAM, orderDecider } from '../ordering';
import { paymentDecider } from '../payments';
import type { DomainEvent } from '../shared';
import { StreamNotFoldable } from './audit.errors';

/**
 * How the events of one kind of stream fold into a state: the domain's own `initialState` and `evolve`,
 * so that what an auditor sees "as of" a moment is exactly what the command side decided on then.
 */
export interface StreamFold<State = unknown> {
  /** The stream kind: the `<aggregate>` of `<aggregate>-<id>` (DESIGN.md §3). */
  readonly kind: string;
  /** The decider or process manager whose state this is. */
  readonly aggregate: string;
  readonly initialState: State;
  /** Total: an event the fold does not know leaves the state as it is. */
  evolve(state: State, event: DomainEvent): State;
}

/**
 * What the checkout process records in its stream (`checkout-<orderId>`): each input it observed, and each
 * timeout that fired, wrapped as `{ type, data, … }`. The sagas runtime writes these record types.
 */
export const CHECKOUT_RECORD_TYPES = {
  observed: 'CheckoutEventObserved',
  timeoutFired: 'CheckoutTimeoutFired',
} as const;

// `evolve` of the checkout process does not read its settings (only what it sends does).
const checkout = checkoutProcess({ paymentTimeoutMs: 0, taxRateBasisPoints: 0 });

/** A decider's fold over the events of its own stream (their types are the decider's own). */
function deciderFold<State>(
  kind: string,
  aggregate: string,
  // Any decider's evolve fits `never`; the stream holds only the decider's own events.
  decider: { readonly initialState: State; evolve(state: State, event: never): State },
): StreamFold<State> {
  return {
    kind,
    aggregate,
    initialState: decider.initialState,
    // The stream is the decider's: every event in it was decided by it, and its evolve is total.
    evolve: (state, event) => decider.evolve(state, event as never),
  };
}

const FOLDS: readonly StreamFold[] = [
  deciderFold('product', 'product', productDecider),
  deciderFold('stock', 'stock-item', stockItemDecider),
  deciderFold('cart', 'cart', cartDecider),
  deciderFold('order', 'order', orderDecider),
  deciderFold('payment', 'payment', paymentDecider),
  deciderFold('customer', 'customer', customerDecider),
  {
    kind: 'checkout',
    aggregate: 'checkout',
    initialState: checkout.initialState,
    evolve(state, record) {
      if (
        record.type !== CHECKOUT_RECORD_TYPES.observed &&
        record.type !== CHECKOUT_RECORD_TYPES.timeoutFired
      ) {
        return state;
      }
      const observed = record.data as DomainEvent;
      return checkout.evolve(
        state as Parameters<typeof checkout.evolve>[0],
        {
          type: observed.type,
          data: observed.data,
        } as Parameters<typeof checkout.evolve>[1],
      );
    },
  },
] as StreamFold[];

const FOLD_BY_KIND: ReadonlyMap<string, StreamFold> = new Map(FOLDS.map((fold) => [fold.kind, fold]));

/**
 * Technical streams whose names start like an aggregate's but hold something else: they must never be
 * folded by that aggregate's decider.
 */
const TECHNICAL_KINDS: readonly { readonly matches: (streamId: string) => boolean; readonly kind: string }[] =
  [
    { matches: (streamId) => streamId === ORDER_NUMBER_STREAM, kind: 'order-numbers' },
    { matches: (streamId) => streamId.startsWith('customer-email-'), kind: 'customer-email' },
  ];

/** The kind of a stream: `cart` for `cart-<uuid>`, `order-numbers` for the order-number sequence, … */
export function streamKindOf(streamId: string): string {
  const technical = TECHNICAL_KINDS.find((candidate) => candidate.matches(streamId));
  if (technical) return technical.kind;
  const dash = streamId.indexOf('-');
  return dash < 0 ? streamId : streamId.slice(0, dash);
}

/** The stream kinds that fold into a state, with their aggregate. */
export function foldableStreamKinds(): readonly { readonly kind: string; readonly aggregate: string }[] {
  return FOLDS.map(({ kind, aggregate }) => ({ kind, aggregate }));
}

/** How `streamId` folds; throws {@link StreamNotFoldable} for a kind no decider owns. */
export function streamFoldFor(streamId: string): StreamFold {
  const kind = streamKindOf(streamId);
  const fold = FOLD_BY_KIND.get(kind);
  if (!fold) throw new StreamNotFoldable(streamId, kind);
  return fold;
}
