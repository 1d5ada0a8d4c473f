import {
  assertNever,
  copyShippingAddress,
  copyShippingMethod,
  isCurrencyCode,
  isUnitPriceAmount,
  multiplyMoney,
} from '../../shared';
import type { Decider, Money } from '../../shared';
import type {
  AddCartItem,
  CartCommand,
  ChangeCartItemQuantity,
  CheckOutCart,
  CheckoutDetails,
  CloseCartForMerge,
  MergeCarts,
  MergedLine,
  OpenCart,
  RemoveCartItem,
} from './cart.commands';
import {
  CartAlreadyCheckedOut,
  CartAlreadyExists,
  CartAlreadyMerged,
  CartMergeIntoItself,
  CartNotGuestCart,
  CartCurrencyMismatch,
  CartEmpty,
  CartItemQuantityOutOfRange,
  CartLineLimitReached,
  CartLineNotFound,
  CartLineQuantityExceeded,
  CartNotFound,
  IncompleteCheckoutDetails,
  InvalidCartCurrency,
  InvalidCartItemPrice,
  ShippingMethodCurrencyMismatch,
} from './cart.errors';
import { CART_LIMITS } from './cart.events';
import type { CartEvent, CartLineSnapshot } from './cart.events';
import type { ActiveCart, CartLine, CartState, CheckedOutCart, MergedCart } from './cart.state';

const initialState: CartState = { status: 'none' };

/** What a shopper sees of a cart: its lines with their totals, in the order first added, and the total. */
export interface CartView {
  readonly cartId: string;
  readonly customerId: string | null;
  readonly status: 'open' | 'checked_out' | 'merged';
  /** The order the cart was checked out for; null while open. */
  readonly orderId: string | null;
  /** The cart this guest cart was merged into; only when merged. */
  readonly mergedInto?: string;
  readonly currency: string;
  readonly lines: readonly CartLineSnapshot[];
  /** Units over all lines. */
  readonly itemCount: number;
  /** Sum of the line totals, in the cart currency (zero for an empty cart). */
  readonly total: Money;
}

function lineSnapshot(line: CartLine): CartLineSnapshot {
  return {
    sku: line.sku,
    name: line.name,
    quantity: line.quantity,
    unitPrice: line.unitPrice,
    lineTotal: multiplyMoney(line.unitPrice, line.quantity),
  };
}

function viewOf(cart: ActiveCart | CheckedOutCart | MergedCart): CartView {
  const lines = cart.lines.map(lineSnapshot);
  return {
    cartId: cart.cartId,
    customerId: cart.customerId,
    status: cart.status,
    orderId: cart.status === 'checked_out' ? cart.orderId : null,
    currency: cart.currency,
    lines,
    itemCount: lines.reduce((sum, line) => sum + line.quantity, 0),
    total: { amount: lines.reduce((sum, line) => sum + line.lineTotal.amount, 0), currency: cart.currency },
    ...(cart.status === 'merged' ? { mergedInto: cart.targetCartId } : {}),
  };
}

/**
 * The cart as a shopper sees it, or null when it was never opened. Each line total is unit price times
 * quantity; the cart total is their sum. Checkout freezes exactly these lines and this total.
 */
export function cartView(state: CartState): CartView | null {
  return state.status === 'none' ? null : viewOf(state);
}

const isCartQuantity = (quantity: number): boolean =>
  Number.isSafeInteger(quantity) &&
  quantity >= CART_LIMITS.minQuantity &&
  quantity <= CART_LIMITS.maxQuantity;

/** The cart, or CartNotFound / CartAlreadyMerged (a merged cart is gone for every command but a merge retry). */
function existing(state: CartState, cartId: string): ActiveCart | CheckedOutCart {
  if (state.status === 'none') throw new CartNotFound(cartId);
  if (state.status === 'merged') throw new CartAlreadyMerged(state.cartId, state.targetCartId);
  return state;
}

/** The cart, or CartNotFound / CartAlreadyMerged / CartAlreadyCheckedOut. */
function open(state: CartState, cartId: string): ActiveCart {
  const cart = existing(state, cartId);
  if (cart.status === 'checked_out') throw new CartAlreadyCheckedOut(cart.cartId, cart.orderId);
  return cart;
}

function findLine(cart: ActiveCart, sku: string): CartLine | undefined {
  return cart.lines.find((line) => line.sku === sku);
}

function openCart({ data }: OpenCart, state: CartState): CartEvent[] {
  if (state.status !== 'none') throw new CartAlreadyExists(data.cartId);
  if (!isCurrencyCode(data.currency)) throw new InvalidCartCurrency(data.currency);
  return [
    {
      type: 'CartOpened',
      data: { cartId: data.cartId, customerId: data.customerId, currency: data.currency },
    },
  ];
}

function addItem({ data }: AddCartItem, state: CartState): CartEvent[] {
  const cart = open(state, data.cartId);
  const { sku, name, quantity, unitPrice } = data;
  if (!isCartQuantity(quantity)) throw new CartItemQuantityOutOfRange(quantity);
  if (unitPrice.currency !== cart.currency) throw new CartCurrencyMismatch(cart.currency, unitPrice.currency);
  // Capped like catalog prices, which also keeps every line and cart total a safe integer.
  if (!isUnitPriceAmount(unitPrice.amount)) throw new InvalidCartItemPrice(unitPrice.amount);
  const line = findLine(cart, sku);
  if (line !== undefined && line.quantity + quantity > CART_LIMITS.maxQuantity) {
    throw new CartLineQuantityExceeded(sku, line.quantity, quantity);
  }
  if (line === undefined && cart.lines.length >= CART_LIMITS.maxLines)
    throw new CartLineLimitReached(cart.cartId);
  return [
    {
      type: 'CartItemAdded',
      data: {
        cartId: cart.cartId,
        sku,
        name,
        quantity,
        unitPrice: { amount: unitPrice.amount, currency: unitPrice.currency },
      },
    },
  ];
}

function changeQuantity({ data }: ChangeCartItemQuantity, state: CartState): CartEvent[] {
  const cart = open(state, data.cartId);
  const { sku, quantity } = data;
  if (!isCartQuantity(quantity)) throw new CartItemQuantityOutOfRange(quantity);
  const line = findLine(cart, sku);
  if (line === undefined) throw new CartLineNotFound(sku);
  if (line.quantity === quantity) return [];
  return [
    {
      type: 'CartItemQuantityChanged',
      data: { cartId: cart.cartId, sku, quantity, previousQuantity: line.quantity },
    },
  ];
}

function removeItem({ data }: RemoveCartItem, state: CartState): CartEvent[] {
  const cart = open(state, data.cartId);
  if (findLine(cart, data.sku) === undefined) throw new CartLineNotFound(data.sku);
  return [{ type: 'CartItemRemoved', data: { cartId: cart.cartId, sku: data.sku } }];
}

const isPresentText = (value: unknown): boolean => typeof value === 'string' && value.trim() !== '';
const isPresentObject = (value: unknown): boolean => typeof value === 'object' && value !== null;

/**
 * Checkout details are present in full. Commands arrive as JSON, so the declared type is no guarantee; the
 * shape of each part is the edge's job, the cart only refuses to freeze an order it could not place.
 */
function assertCheckoutDetailsPresent(checkout: CheckoutDetails): void {
  const parts: [string, boolean][] = [
    ['checkout.email', isPresentText(checkout.email)],
    ['checkout.shippingAddress', isPresentObject(checkout.shippingAddress)],
    ['checkout.shippingMethod', isPresentObject(checkout.shippingMethod)],
    ['checkout.paymentMethodId', isPresentText(checkout.paymentMethodId)],
  ];
  const missing = parts.find(([, present]) => !present);
  if (missing !== undefined) throw new IncompleteCheckoutDetails(missing[0]);
}

/** The details as recorded: exactly the documented fields, so nothing else a caller sent is stored. */
function copyCheckoutDetails(checkout: CheckoutDetails): CheckoutDetails {
  return {
    email: checkout.email,
    shippingAddress: copyShippingAddress(checkout.shippingAddress),
    shippingMethod: copyShippingMethod(checkout.shippingMethod),
    paymentMethodId: checkout.paymentMethodId,
  };
}

function checkOut({ data }: CheckOutCart, state: CartState): CartEvent[] {
  const cart = existing(state, data.cartId);
  if (cart.status === 'checked_out') {
    // Checkout retried by the saga after a redelivery: already done.
    if (cart.orderId === data.orderId) return [];
    throw new CartAlreadyCheckedOut(cart.cartId, cart.orderId);
  }
  // The command's own fields first, then the cart's state (the order every decider checks in).
  if (data.checkout !== undefined) {
    assertCheckoutDetailsPresent(data.checkout);
    const methodCurrency = data.checkout.shippingMethod.price.currency;
    if (methodCurrency !== cart.currency)
      throw new ShippingMethodCurrencyMismatch(cart.currency, methodCurrency);
  }
  if (cart.lines.length === 0) throw new CartEmpty(cart.cartId);
  const lines = cart.lines.map(lineSnapshot);
  const total = {
    amount: lines.reduce((sum, line) => sum + line.lineTotal.amount, 0),
    currency: cart.currency,
  };
  const frozen = { cartId: cart.cartId, orderId: data.orderId, lines, total };
  if (data.checkout === undefined) return [{ type: 'CartCheckedOut', data: frozen }];
  // The owner and the details ride on the event so that checkout can place the order from it alone.
  return [
    {
      type: 'CartCheckedOut',
      data: { ...frozen, customerId: cart.customerId, checkout: copyCheckoutDetails(data.checkout) },
    },
  ];
}

function closeForMerge({ data }: CloseCartForMerge, state: CartState): CartEvent[] {
  if (data.targetCartId === data.cartId) throw new CartMergeIntoItself(data.cartId, 'targetCartId');
  if (state.status === 'merged') {
    // A merge retried after a crash between its two halves: this half is done.
    if (state.targetCartId === data.targetCartId) return [];
    throw new CartAlreadyMerged(state.cartId, state.targetCartId);
  }
  const cart = open(state, data.cartId);
  if (cart.customerId !== null) throw new CartNotGuestCart(cart.cartId);
  return [{ type: 'CartMergedInto', data: { cartId: cart.cartId, targetCartId: data.targetCartId } }];
}

/**
 * The units of each incoming line that fit: summed with the line already there up to 99, new lines while
 * fewer than 100; lines in another currency (or with a quantity or price no cart would accept) are left
 * out. Capping instead of refusing: the shopper keeps what fits rather than losing the whole merge.
 */
function linesThatFit(cart: ActiveCart, incoming: readonly MergedLine[]): MergedLine[] {
  const quantities = new Map(cart.lines.map((line) => [line.sku, line.quantity]));
  const fitted = new Map<string, MergedLine>();
  for (const line of incoming) {
    if (!isCartQuantity(line.quantity)) continue;
    if (line.unitPrice.currency !== cart.currency || !isUnitPriceAmount(line.unitPrice.amount)) continue;
    const held = quantities.get(line.sku);
    if (held === undefined && quantities.size >= CART_LIMITS.maxLines) continue;
    const added = Math.min(line.quantity, CART_LIMITS.maxQuantity - (held ?? 0));
    if (added <= 0) continue;
    quantities.set(line.sku, (held ?? 0) + added);
    // A SKU already in the cart keeps its name and price; a new one takes the source cart's.
    const kept = fitted.get(line.sku) ?? findLine(cart, line.sku) ?? line;
    fitted.set(line.sku, {
      sku: line.sku,
      name: kept.name,
      quantity: (fitted.get(line.sku)?.quantity ?? 0) + added,
      unitPrice: { amount: kept.unitPrice.amount, currency: kept.unitPrice.currency },
    });
  }
  return [...fitted.values()];
}

function mergeCarts({ data }: MergeCarts, state: CartState): CartEvent[] {
  if (data.sourceCartId === data.cartId) throw new CartMergeIntoItself(data.cartId, 'sourceCartId');
  const cart = open(state, data.cartId);
  // The same guest cart merged again (a retried sign-in): its lines are already here.
  if (cart.mergedFrom?.includes(data.sourceCartId)) return [];
  return [
    {
      type: 'CartsMerged',
      data: { cartId: cart.cartId, sourceCartId: data.sourceCartId, lines: linesThatFit(cart, data.lines) },
    },
  ];
}

function decide(command: CartCommand, state: CartState): CartEvent[] {
  switch (command.type) {
    case 'OpenCart':
      return openCart(command, state);
    case 'AddCartItem':
      return addItem(command, state);
    case 'ChangeCartItemQuantity':
      return changeQuantity(command, state);
    case 'RemoveCartItem':
      return removeItem(command, state);
    case 'ClearCart': {
      const cart = open(state, command.data.cartId);
      return cart.lines.length === 0 ? [] : [{ type: 'CartCleared', data: { cartId: cart.cartId } }];
    }
    case 'CheckOutCart':
      return checkOut(command, state);
    case 'CloseCartForMerge':
      return closeForMerge(command, state);
    case 'MergeCarts':
      return mergeCarts(command, state);
    default:
      return assertNever(command);
  }
}

function evolve(state: CartState, event: CartEvent): CartState {
  if (event.type === 'CartOpened') {
    const { cartId, customerId, currency } = event.data;
    return { status: 'open', cartId, customerId, currency, lines: [] };
  }
  // Every other event changes an open cart; on any other state (an inconsistent history) it changes nothing.
  if (state.status !== 'open') return state;
  switch (event.type) {
    case 'CartItemAdded': {
      const { sku, name, quantity, unitPrice } = event.data;
      const line = state.lines.find((l) => l.sku === sku);
      const lines =
        line === undefined
          ? [...state.lines, { sku, name, quantity, unitPrice }]
          : state.lines.map((l) =>
              l.sku === sku ? { sku, name, quantity: l.quantity + quantity, unitPrice } : l,
            );
      return { ...state, lines };
    }
    case 'CartItemQuantityChanged': {
      const { sku, quantity } = event.data;
      return { ...state, lines: state.lines.map((l) => (l.sku === sku ? { ...l, quantity } : l)) };
    }
    case 'CartItemRemoved':
      return { ...state, lines: state.lines.filter((l) => l.sku !== event.data.sku) };
    case 'CartCleared':
      return { ...state, lines: [] };
    case 'CartCheckedOut':
      return { ...state, status: 'checked_out', orderId: event.data.orderId };
    case 'CartMergedInto':
      return { ...state, status: 'merged', targetCartId: event.data.targetCartId };
    case 'CartsMerged': {
      const lines = [...state.lines];
      for (const { sku, name, quantity, unitPrice } of event.data.lines) {
        const at = lines.findIndex((l) => l.sku === sku);
        const line = lines[at];
        // A SKU already in the cart keeps its name and price; only its quantity grows.
        if (line === undefined) lines.push({ sku, name, quantity, unitPrice });
        else lines[at] = { ...line, quantity: line.quantity + quantity };
      }
      return { ...state, lines, mergedFrom: [...(state.mergedFrom ?? []), event.data.sourceCartId] };
    }
    default: {
      // Compile-time exhaustiveness only: an event type this code does not know leaves the state as it is.
      const _unknown: never = event;
      return state;
    }
  }
}

/**
 * A shopping cart as a pure decider over stream `cart-<cartId>`.
 *
 * Opened once in one currency; lines are added (merged by SKU, at most 99 units each and 100 lines),
 * changed, removed or cleared; checkout freezes the lines and total for one order, after which the cart
 * accepts no change. A checkout retried for the same order changes nothing. A checkout with the shopper's
 * details (email, address, shipping method, payment method) records them and the cart's owner with the
 * frozen lines, which is what starts the checkout process.
 *
 * When a guest signs in, their guest cart is closed (`CartMergedInto`) and its lines are merged into the
 * customer's cart (`CartsMerged`, quantities summed and capped); both halves are idempotent, so a merge
 * interrupted between them is completed by running it again.
 */
export const cartDecider = {
  initialState,
  decide,
  evolve,
  isTerminal: (state: CartState): boolean => state.status === 'checked_out' || state.status === 'merged',
} satisfies Decider<CartCommand, CartEvent, CartState>;
