import {
  assertNever,
  isCurrencyCode,
  isUnitPriceAmount,
  MAX_UNIT_PRICE_AMOUNT,
  sameMoney,
} from '../../shared';
import type { Decider, Money } from '../../shared';
import type {
  ChangeProductDetails,
  ChangeProductPrice,
  CreateProduct,
  ProductCommand,
  ProductDetails,
} from './product.commands';
import {
  InvalidProductDetails,
  InvalidProductPrice,
  ProductAlreadyExists,
  ProductIsDiscontinued,
  ProductNotFound,
  ProductPriceCurrencyMismatch,
} from './product.errors';
import type { ProductEvent } from './product.events';
import type { ChangeableProduct, DiscontinuedProduct, ProductState, PublishedProduct } from './product.state';

/** Longest product name the catalog accepts, in UTF-16 code units. */
export const MAX_PRODUCT_NAME_LENGTH = 200;

const initialState: ProductState = { status: 'none' };

function assertValidPrice(price: Money): void {
  if (!isUnitPriceAmount(price.amount)) {
    throw new InvalidProductPrice(
      'price.amount',
      `must be a whole number of minor units from 1 to ${MAX_UNIT_PRICE_AMOUNT}, got ${price.amount}`,
    );
  }
  if (!isCurrencyCode(price.currency)) {
    throw new InvalidProductPrice(
      'price.currency',
      `must be a 3-letter uppercase ISO-4217 code, got "${price.currency}"`,
    );
  }
}

function assertValidDetails({ name, category }: Partial<ProductDetails>): void {
  if (name?.trim() === '') throw new InvalidProductDetails('name', 'must not be empty');
  if (name !== undefined && name.length > MAX_PRODUCT_NAME_LENGTH) {
    throw new InvalidProductDetails(
      'name',
      `must be at most ${MAX_PRODUCT_NAME_LENGTH} characters, got ${name.length}`,
    );
  }
  if (category?.trim() === '') throw new InvalidProductDetails('category', 'must not be empty');
}

/** The product, or ProductNotFound. */
function existing(state: ProductState, sku: string): ChangeableProduct | DiscontinuedProduct {
  if (state.status === 'none') throw new ProductNotFound(sku);
  return state;
}

/** The product, or ProductNotFound / ProductIsDiscontinued. */
function changeable(state: ProductState, sku: string): ChangeableProduct {
  const product = existing(state, sku);
  if (product.status === 'discontinued') throw new ProductIsDiscontinued(product.sku);
  return product;
}

function createProduct({ data }: CreateProduct, state: ProductState): ProductEvent[] {
  if (state.status !== 'none') throw new ProductAlreadyExists(data.sku);
  assertValidPrice(data.price);
  assertValidDetails(data);
  return [
    {
      type: 'ProductCreated',
      data: {
        sku: data.sku,
        name: data.name,
        description: data.description,
        category: data.category,
        attributes: data.attributes,
        images: data.images,
        price: { amount: data.price.amount, currency: data.price.currency },
      },
    },
  ];
}

function changePrice({ data }: ChangeProductPrice, state: ProductState): ProductEvent[] {
  const product = changeable(state, data.sku);
  assertValidPrice(data.price);
  if (data.price.currency !== product.price.currency) {
    throw new ProductPriceCurrencyMismatch(product.price.currency, data.price.currency);
  }
  if (sameMoney(data.price, product.price)) return [];
  return [
    {
      type: 'ProductPriceChanged',
      data: {
        sku: product.sku,
        price: { amount: data.price.amount, currency: data.price.currency },
        previousPrice: product.price,
      },
    },
  ];
}

function sameAttributes(a: ProductDetails['attributes'], b: ProductDetails['attributes']): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key])
  );
}

function sameImages(a: ProductDetails['images'], b: ProductDetails['images']): boolean {
  return a.length === b.length && a.every((image, i) => image === b[i]);
}

function changeDetails({ data }: ChangeProductDetails, state: ProductState): ProductEvent[] {
  const product = changeable(state, data.sku);
  assertValidDetails(data);
  const current = product.details;
  // Only what actually differs is recorded, so that projections and auditors see real changes only.
  const changes: { -readonly [K in keyof ProductDetails]?: ProductDetails[K] } = {};
  if (data.name !== undefined && data.name !== current.name) changes.name = data.name;
  if (data.description !== undefined && data.description !== current.description) {
    changes.description = data.description;
  }
  if (data.category !== undefined && data.category !== current.category) changes.category = data.category;
  if (data.attributes !== undefined && !sameAttributes(data.attributes, current.attributes)) {
    changes.attributes = data.attributes;
  }
  if (data.images !== undefined && !sameImages(data.images, current.images)) changes.images = data.images;
  if (Object.keys(changes).length === 0) return [];
  return [{ type: 'ProductDetailsChanged', data: { sku: product.sku, ...changes } }];
}

function decide(command: ProductCommand, state: ProductState): ProductEvent[] {
  switch (command.type) {
    case 'CreateProduct':
      return createProduct(command, state);
    case 'ChangeProductPrice':
      return changePrice(command, state);
    case 'ChangeProductDetails':
      return changeDetails(command, state);
    case 'PublishProduct': {
      const product = changeable(state, command.data.sku);
      return product.status === 'published' ? [] : [{ type: 'ProductPublished', data: { sku: product.sku } }];
    }
    case 'UnpublishProduct': {
      const product = changeable(state, command.data.sku);
      return product.status === 'published'
        ? [{ type: 'ProductUnpublished', data: { sku: product.sku } }]
        : [];
    }
    case 'DiscontinueProduct': {
      const product = existing(state, command.data.sku);
      return product.status === 'discontinued'
        ? []
        : [{ type: 'ProductDiscontinued', data: { sku: product.sku } }];
    }
    default:
      return assertNever(command);
  }
}

function evolve(state: ProductState, event: ProductEvent): ProductState {
  if (event.type === 'ProductCreated') {
    const { sku, price, name, description, category, attributes, images } = event.data;
    return { status: 'draft', sku, price, details: { name, description, category, attributes, images } };
  }
  // Every other event presupposes a created product; a history without one leaves the state as it is.
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'ProductPriceChanged':
      return { ...state, price: event.data.price };
    case 'ProductDetailsChanged': {
      const { name, description, category, attributes, images } = event.data;
      return {
        ...state,
        details: {
          name: name ?? state.details.name,
          description: description ?? state.details.description,
          category: category ?? state.details.category,
          attributes: attributes ?? state.details.attributes,
          images: images ?? state.details.images,
        },
      };
    }
    case 'ProductPublished':
      return { ...state, status: 'published' };
    case 'ProductUnpublished':
      return { ...state, status: 'unpublished' };
    case 'ProductDiscontinued':
      return { ...state, status: 'discontinued' };
    default: {
      // Compile-time exhaustiveness only: an event type this code does not know leaves the state as it is.
      const _unknown: never = event;
      return state;
    }
  }
}

/**
 * A catalog product as a pure decider over stream `product-<sku>`.
 *
 * Lifecycle: created as a draft; published and unpublished at will; discontinued for good, after which it
 * accepts no change. Prices are positive whole minor units in one currency for the product's whole life.
 */
export const productDecider = {
  initialState,
  decide,
  evolve,
  isTerminal: (state: ProductState): boolean => state.status === 'discontinued',
} satisfies Decider<ProductCommand, ProductEvent, ProductState>;

/**
 * True when shoppers may see and buy the product: it exists and is published. Takes the decider's state or
 * any view of the product that carries its status (the catalog read model at the edge).
 */
export function isProductPurchasable<P extends { readonly status: ProductState['status'] }>(
  product: P,
): product is P & { readonly status: PublishedProduct['status'] } {
  return product.status === 'published';
}
