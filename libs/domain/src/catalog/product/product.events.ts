import type { DomainEvent, Money } from '../../shared';
import type { ProductDetails } from './product.commands';

/** A product was added to the catalog as a draft. */
export type ProductCreated = DomainEvent<
  'ProductCreated',
  ProductDetails & { readonly sku: string; readonly price: Money }
>;

/** The product's price changed; `previousPrice` is the one it replaced. */
export type ProductPriceChanged = DomainEvent<
  'ProductPriceChanged',
  { readonly sku: string; readonly price: Money; readonly previousPrice: Money }
>;

/** Some descriptive fields changed; only the changed fields are present. */
export type ProductDetailsChanged = DomainEvent<
  'ProductDetailsChanged',
  Partial<ProductDetails> & { readonly sku: string }
>;

/** The product became visible and purchasable. */
export type ProductPublished = DomainEvent<'ProductPublished', { readonly sku: string }>;

/** The product was hidden from shoppers. */
export type ProductUnpublished = DomainEvent<'ProductUnpublished', { readonly sku: string }>;

/** The product was retired for good. */
export type ProductDiscontinued = DomainEvent<'ProductDiscontinued', { readonly sku: string }>;

/** Every event of a product stream. */
export type ProductEvent =
  | ProductCreated
  | ProductPriceChanged
  | ProductDetailsChanged
  | ProductPublished
  | ProductUnpublished
  | ProductDiscontinued;

/** The type of every event of a product stream (for readers that subscribe to them). */
export const PRODUCT_EVENT_TYPES: readonly ProductEvent['type'][] = [
  'ProductCreated',
  'ProductPriceChanged',
  'ProductDetailsChanged',
  'ProductPublished',
  'ProductUnpublished',
  'ProductDiscontinued',
];

/** The stream of a product: `product-<sku>`. */
export const productStreamId = (sku: string): string => `product-${sku}`;
