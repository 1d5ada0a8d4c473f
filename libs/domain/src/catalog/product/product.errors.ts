import { AggregateNotFoundError, IllegalStateError, UnprocessableCommandError } from '../../shared';

/** `CreateProduct` for a SKU that is already in the catalog. */
export class ProductAlreadyExists extends IllegalStateError {
  readonly code = 'PRODUCT_ALREADY_EXISTS';
  constructor(sku: string) {
    super(`Product ${sku} already exists`);
  }
}

/** A command about a SKU that was never created. */
export class ProductNotFound extends AggregateNotFoundError {
  readonly code = 'PRODUCT_NOT_FOUND';
  constructor(sku: string) {
    super(`Product ${sku} does not exist`);
  }
}

/**
 * A change to a discontinued product. Named with `Is` because `ProductDiscontinued` is the event's name;
 * the code is the one the brief fixed.
 */
export class ProductIsDiscontinued extends IllegalStateError {
  readonly code = 'PRODUCT_DISCONTINUED';
  constructor(sku: string) {
    super(`Product ${sku} is discontinued and accepts no change`);
  }
}

/** A price that is not a positive whole number of minor units, or whose currency is not an ISO-4217 code. */
export class InvalidProductPrice extends UnprocessableCommandError {
  readonly code = 'INVALID_PRODUCT_PRICE';
  constructor(field: 'price.amount' | 'price.currency', rule: string) {
    super(`Invalid ${field}: ${rule}`, field);
  }
}

/** A new price in another currency than the product's: a product is sold in one currency. */
export class ProductPriceCurrencyMismatch extends UnprocessableCommandError {
  readonly code = 'PRODUCT_PRICE_CURRENCY_MISMATCH';
  constructor(expected: string, actual: string) {
    super(`Product is priced in ${expected}, not ${actual}`, 'price.currency');
  }
}

/** A descriptive field that breaks a catalog rule (empty or too long name, empty category). */
export class InvalidProductDetails extends UnprocessableCommandError {
  readonly code = 'INVALID_PRODUCT_DETAILS';
  constructor(field: 'name' | 'category', rule: string) {
    super(`Invalid product ${field}: ${rule}`, field);
  }
}
