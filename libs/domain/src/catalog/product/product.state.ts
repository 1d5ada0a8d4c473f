import type { Money } from '../../shared';
import type { ProductDetails } from './product.commands';

/** What every product that exists carries, whatever its lifecycle status. */
export interface ProductData {
  readonly sku: string;
  readonly price: Money;
  readonly details: ProductDetails;
}

/** No `ProductCreated` yet: the SKU is unknown to the catalog. */
export interface NoProduct {
  readonly status: 'none';
}

/** Created but never shown to shoppers. */
export interface DraftProduct extends ProductData {
  readonly status: 'draft';
}

/** Visible and purchasable. */
export interface PublishedProduct extends ProductData {
  readonly status: 'published';
}

/** Was published, now hidden from shoppers; can be published again. */
export interface UnpublishedProduct extends ProductData {
  readonly status: 'unpublished';
}

/** Retired for good: accepts no change. */
export interface DiscontinuedProduct extends ProductData {
  readonly status: 'discontinued';
}

/** A product, as a union by lifecycle status. */
export type ProductState =
  NoProduct | DraftProduct | PublishedProduct | UnpublishedProduct | DiscontinuedProduct;

/** A product that exists and can still change. */
export type ChangeableProduct = DraftProduct | PublishedProduct | UnpublishedProduct;
