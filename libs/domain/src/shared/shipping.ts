import type { Money } from './money';

/** Where an order is shipped. `country` is an ISO 3166-1 alpha-2 code. */
export interface ShippingAddress {
  readonly name: string;
  readonly line1: string;
  readonly line2?: string;
  readonly city: string;
  readonly postalCode: string;
  readonly country: string;
}

/** A shipping method as priced when the shopper checks out. */
export interface ShippingMethodSnapshot {
  readonly id: string;
  readonly name: string;
  readonly price: Money;
}
