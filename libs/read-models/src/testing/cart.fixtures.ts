import type { EventToAppend } from './read-models.harness';

/** A cart opened in EUR holding two mugs at 12.00: one `carts` row and one `cart_lines` row once projected. */
export function cartWithTwoMugs(cartId: string): EventToAppend[] {
  return [
    { type: 'CartOpened', data: { cartId, customerId: null, currency: 'EUR' } },
    {
      type: 'CartItemAdded',
      data: { cartId, sku: 'MUG', name: 'Mug', quantity: 2, unitPrice: { amount: 1200, currency: 'EUR' } },
    },
  ];
}
