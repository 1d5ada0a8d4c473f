import type { AppConfig } from './config';

/** A way to ship an order, with its price in minor units. */
export interface ShippingMethod {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly price: { readonly amount: number; readonly currency: string };
  readonly estimatedDays: { readonly min: number; readonly max: number };
}

const METHODS: readonly ShippingMethod[] = [
  {
    id: 'standard',
    name: 'Standard delivery',
    description: 'Tracked parcel',
    price: { amount: 490, currency: 'EUR' },
    estimatedDays: { min: 3, max: 5 },
  },
  {
    id: 'express',
    name: 'Express delivery',
    description: 'Next working day when ordered before 15:00',
    price: { amount: 1290, currency: 'EUR' },
    estimatedDays: { min: 1, max: 1 },
  },
  {
    id: 'pickup',
    name: 'Store pickup',
    description: 'Collect from the shop',
    price: { amount: 0, currency: 'EUR' },
    estimatedDays: { min: 0, max: 1 },
  },
];

/** The shipping methods shoppers can choose from (one catalogue for checkout and the query API). */
export function shippingMethods(_config?: AppConfig): readonly ShippingMethod[] {
  return METHODS;
}

/** The method with this id, or undefined. */
export function findShippingMethod(id: string, config?: AppConfig): ShippingMethod | undefined {
  return shippingMethods(config).find((method) => method.id === id);
}
