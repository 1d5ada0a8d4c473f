import { AggregateNotFoundError, IllegalStateError, UnprocessableCommandError } from '../../shared';
import { CART_LIMITS } from './cart.events';

/** `OpenCart` for a cart id that is already in use. */
export class CartAlreadyExists extends IllegalStateError {
  readonly code = 'CART_ALREADY_EXISTS';
  constructor(cartId: string) {
    super(`Cart ${cartId} already exists`);
  }
}

/** A cart currency that is not a 3-letter uppercase ISO-4217 code. */
export class InvalidCartCurrency extends UnprocessableCommandError {
  readonly code = 'INVALID_CART_CURRENCY';
  constructor(currency: string) {
    super(`Cart currency must be a 3-letter uppercase ISO-4217 code, got "${currency}"`, 'currency');
  }
}

/** A command about a cart that was never opened. */
export class CartNotFound extends AggregateNotFoundError {
  readonly code = 'CART_NOT_FOUND';
  constructor(cartId: string) {
    super(`Cart ${cartId} does not exist`);
  }
}

/** A change to a cart that was already checked out (or a checkout for another order). */
export class CartAlreadyCheckedOut extends IllegalStateError {
  readonly code = 'CART_ALREADY_CHECKED_OUT';
  constructor(cartId: string, orderId: string) {
    super(`Cart ${cartId} was checked out for order ${orderId} and accepts no change`);
  }
}

/** A quantity to add or set that is not a whole number from 1 to 99. */
export class CartItemQuantityOutOfRange extends UnprocessableCommandError {
  readonly code = 'CART_ITEM_QUANTITY_OUT_OF_RANGE';
  constructor(quantity: number) {
    super(
      `Quantity must be a whole number from ${CART_LIMITS.minQuantity} to ${CART_LIMITS.maxQuantity}, got ${quantity}`,
      'quantity',
    );
  }
}

/** An item priced in another currency than the cart's. */
export class CartCurrencyMismatch extends UnprocessableCommandError {
  readonly code = 'CART_CURRENCY_MISMATCH';
  constructor(cartCurrency: string, itemCurrency: string) {
    super(`Cart is in ${cartCurrency}, the item is priced in ${itemCurrency}`, 'unitPrice.currency');
  }
}

/** A unit price that is not a positive whole number of minor units (at most 10,000,000,000). */
export class InvalidCartItemPrice extends UnprocessableCommandError {
  readonly code = 'INVALID_CART_ITEM_PRICE';
  constructor(amount: number) {
    super(`Unit price must be a positive whole number of minor units, got ${amount}`, 'unitPrice.amount');
  }
}

/** Adding units to a line would take it above 99. */
export class CartLineQuantityExceeded extends IllegalStateError {
  readonly code = 'CART_LINE_QUANTITY_EXCEEDED';
  constructor(sku: string, current: number, added: number) {
    super(
      `Line ${sku} holds ${current}; adding ${added} exceeds the maximum of ${CART_LIMITS.maxQuantity}`,
      'quantity',
    );
  }
}

/** A new line in a cart that already has 100 lines. */
export class CartLineLimitReached extends IllegalStateError {
  readonly code = 'CART_LINE_LIMIT_REACHED';
  constructor(cartId: string) {
    super(`Cart ${cartId} already has the maximum of ${CART_LIMITS.maxLines} lines`);
  }
}

/** Changing or removing a SKU that is not in the cart. */
export class CartLineNotFound extends AggregateNotFoundError {
  readonly code = 'CART_LINE_NOT_FOUND';
  constructor(sku: string) {
    super(`No line for ${sku} in the cart`, 'sku');
  }
}

/** Checking out a cart without lines. */
export class CartEmpty extends IllegalStateError {
  readonly code = 'CART_EMPTY';
  constructor(cartId: string) {
    super(`Cart ${cartId} is empty`);
  }
}

/**
 * Checkout details with a part missing or empty. Their shape (address fields, email syntax, a known shipping
 * method) is checked at the edge; the cart only refuses to freeze without them.
 */
export class IncompleteCheckoutDetails extends UnprocessableCommandError {
  readonly code = 'INCOMPLETE_CHECKOUT_DETAILS';
  constructor(field: string) {
    super(`Checkout details must include ${field}`, field);
  }
}

/** The shipping method chosen at checkout is priced in another currency than the cart. */
export class ShippingMethodCurrencyMismatch extends UnprocessableCommandError {
  readonly code = 'SHIPPING_METHOD_CURRENCY_MISMATCH';
  constructor(cartCurrency: string, methodCurrency: string) {
    super(
      `The cart is in ${cartCurrency}; the shipping method is priced in ${methodCurrency}`,
      'checkout.shippingMethod',
    );
  }
}

/** A change, checkout or second merge of a guest cart that was merged into another cart. */
export class CartAlreadyMerged extends IllegalStateError {
  readonly code = 'CART_ALREADY_MERGED';
  constructor(cartId: string, targetCartId: string) {
    super(`Cart ${cartId} was merged into cart ${targetCartId} and accepts no change`);
  }
}

/** Only a guest cart is merged into a customer's cart; a customer's own cart already belongs to them. */
export class CartNotGuestCart extends IllegalStateError {
  readonly code = 'CART_NOT_GUEST_CART';
  constructor(cartId: string) {
    super(`Cart ${cartId} belongs to a customer and is not merged`);
  }
}

/** A cart merged into itself. */
export class CartMergeIntoItself extends UnprocessableCommandError {
  readonly code = 'CART_MERGE_INTO_ITSELF';
  constructor(cartId: string, field: 'targetCartId' | 'sourceCartId') {
    super(`Cart ${cartId} cannot be merged into itself`, field);
  }
}
