import type { DomainCommand, Money } from '../../shared';

/** Descriptive fields of a product that merchants edit. */
export interface ProductDetails {
  readonly name: string;
  readonly description: string;
  readonly category: string;
  /** Free-form attributes shown and filtered on (e.g. `{ "color": "blue", "size": "M" }`). */
  readonly attributes: Readonly<Record<string, string>>;
  /** References to images (local paths or generated SVG names); never fetched from elsewhere. */
  readonly images: readonly string[];
}

/** A merchant adds a new product to the catalog, as a draft (not yet visible to shoppers). */
export type CreateProduct = DomainCommand<
  'CreateProduct',
  ProductDetails & { readonly sku: string; readonly price: Money }
>;

/** A merchant sets a new price. The currency cannot change. */
export type ChangeProductPrice = DomainCommand<
  'ChangeProductPrice',
  { readonly sku: string; readonly price: Money }
>;

/** A merchant edits some descriptive fields; omitted fields keep their value. */
export type ChangeProductDetails = DomainCommand<
  'ChangeProductDetails',
  Partial<ProductDetails> & { readonly sku: string }
>;

/** A merchant makes the product visible and purchasable. */
export type PublishProduct = DomainCommand<'PublishProduct', { readonly sku: string }>;

/** A merchant hides the product from shoppers for now. */
export type UnpublishProduct = DomainCommand<'UnpublishProduct', { readonly sku: string }>;

/** A merchant retires the product for good; it can never be sold again. */
export type DiscontinueProduct = DomainCommand<'DiscontinueProduct', { readonly sku: string }>;

/** Every command the product decider accepts. */
export type ProductCommand =
  | CreateProduct
  | ChangeProductPrice
  | ChangeProductDetails
  | PublishProduct
  | UnpublishProduct
  | DiscontinueProduct;
