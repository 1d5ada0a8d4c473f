import type { Money } from './format';

/**
 * The shapes the storefront reads from query-api and command-api (their OpenAPI documents are the source;
 * only the fields the pages use are listed).
 */

export type { Money };

export interface Product {
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly price: Money;
  /** Units that can still be sold. */
  readonly available: number;
  readonly status: 'draft' | 'published' | 'unpublished' | 'discontinued';
  readonly attributes: Readonly<Record<string, string>>;
  readonly images: readonly string[];
  readonly version: number;
}

export interface Facet {
  readonly value: string;
  readonly count: number;
}

export interface PriceBand {
  readonly label: string;
  readonly min: number;
  readonly max: number | null;
  readonly count: number;
}

export interface ProductSearchResult {
  readonly items: readonly Product[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly facets: { readonly categories: readonly Facet[]; readonly priceBands: readonly PriceBand[] };
}

export interface Suggestion {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  readonly priceMinor?: number;
}

export interface Category {
  readonly name: string;
  readonly slug?: string;
  readonly count?: number;
}

export interface StockLevel {
  readonly sku: string;
  readonly onHand: number;
  readonly reserved: number;
  readonly available: number;
}

export interface CartLine {
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: Money;
  readonly lineTotal: Money;
}

export interface Cart {
  readonly cartId: string;
  readonly customerId: string | null;
  readonly status: 'open' | 'checked_out';
  readonly currency: string;
  readonly lines: readonly CartLine[];
  readonly total: Money;
  readonly version: number;
  readonly orderId?: string;
}

export interface ShippingMethod {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly price: Money;
  readonly estimatedDays: { readonly min: number; readonly max: number };
}

export interface ShippingAddress {
  readonly name: string;
  readonly line1: string;
  readonly line2?: string;
  readonly city: string;
  readonly postalCode: string;
  readonly country: string;
}

export interface OrderTimelineEntry {
  readonly at: string;
  readonly type: string;
  readonly summary: string;
  readonly eventId: string;
}

export interface Order {
  readonly orderId: string;
  readonly orderNumber: string | null;
  readonly status: 'pending' | 'confirmed' | 'cancelled' | 'shipped' | 'delivered';
  readonly cancellationReason: string | null;
  readonly customerId: string | null;
  readonly email: string;
  readonly lines: readonly CartLine[];
  readonly totals: {
    readonly subtotal: Money;
    readonly shipping: Money;
    readonly tax: Money;
    readonly total: Money;
  };
  readonly shippingAddress: ShippingAddress;
  readonly shippingMethod: { readonly id: string; readonly name: string; readonly price: Money };
  readonly payment: {
    readonly status: string;
    readonly amountCaptured: Money;
    readonly amountRefunded: Money;
    readonly declineReason: string | null;
  };
  readonly shipment: { readonly carrier: string | null; readonly trackingNumber: string | null } | null;
  readonly placedAt: string;
  readonly updatedAt: string;
  readonly version: number;
  readonly timeline?: readonly OrderTimelineEntry[];
}

export interface OrderSummary {
  readonly orderId: string;
  readonly orderNumber: string | null;
  readonly status: Order['status'];
  readonly total: Money;
  readonly placedAt: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
}

export interface Me {
  readonly customerId: string;
  readonly email: string;
  readonly name: string;
  readonly role: string;
  readonly registeredAt: string;
}

/** Body of sign-up and sign-in. */
export interface AuthResponse {
  readonly customerId: string;
  readonly email: string;
  readonly name: string;
  readonly role: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
  readonly cartId: string | null;
}
