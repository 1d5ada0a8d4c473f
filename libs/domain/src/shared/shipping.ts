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

/** Exactly the documented fields of an address, so that nothing else a caller sent is stored with it. */
export function copyShippingAddress(address: ShippingAddress): ShippingAddress {
  const { name, line1, line2, city, postalCode, country } = address;
  return { name, line1, ...(line2 === undefined ? {} : { line2 }), city, postalCode, country };
}

/** Exactly the documented fields of a shipping method snapshot. */
export function copyShippingMethod(method: ShippingMethodSnapshot): ShippingMethodSnapshot {
  return {
    id: method.id,
    name: method.name,
    price: { amount: method.price.amount, currency: method.price.currency },
  };
}
