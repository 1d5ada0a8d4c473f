import { z } from 'zod';
import {
  cartQuantitySchema,
  currencySchema,
  skuSchema,
  uuidSchema,
  versionSchema,
} from '../shared/common.schemas';
import type { ApiCredentials, ApiOperation } from '../shared/openapi';

// Request shapes of the cart endpoints: the only place they are checked.

export const cartPath = z.strictObject({ cartId: uuidSchema });
export const cartItemPath = z.strictObject({ cartId: uuidSchema, sku: skuSchema });

/** Optional: `POST /carts` without a body opens a guest cart in EUR. */
export const openCartBody = z
  .strictObject({
    customerId: uuidSchema.optional().meta({ description: 'Omit for a guest cart' }),
    currency: currencySchema.default('EUR'),
  })
  .optional()
  .transform((body) => body ?? { currency: 'EUR' });

export const addCartItemBody = z.strictObject({ sku: skuSchema, quantity: cartQuantitySchema });

export const changeCartItemQuantityBody = z.strictObject({ quantity: cartQuantitySchema });

export const cartWritten = z.object({ cartId: uuidSchema, version: versionSchema });

/** `POST /carts`: a guest also gets the signed token that proves they hold the cart (also set as cookie tally_cart). */
export const cartOpened = cartWritten.extend({
  cartToken: z
    .string()
    .optional()
    .meta({ description: 'Guest carts only: send it back as Tally-Cart-Token (or the tally_cart cookie)' }),
});

const base = '/api/v1/carts';

/** A cart command is for whoever holds the guest cart's token, the cart's customer, or an admin (else 404). */
export const cartHolderCredentials: ApiCredentials = { cartToken: true, required: true };
const HOLDER = cartHolderCredentials;
const tag = 'carts';

export const cartOperations: readonly ApiOperation[] = [
  {
    method: 'post',
    path: base,
    operationId: 'openCart',
    summary:
      'Open a cart: a guest gets a guest cart and its `cartToken`, a signed-in customer a cart of their own',
    tag,
    body: openCartBody,
    bodyRequired: false,
    success: {
      status: 201,
      description: 'Opened; for a guest cart the body carries `cartToken`',
      schema: cartOpened,
    },
    setCookie: 'Guest carts only: tally_cart (the cart token; 30 days, httpOnly, SameSite=Lax)',
    problems: [403, 422],
  },
  {
    method: 'post',
    path: `${base}/{cartId}/items`,
    operationId: 'addCartItem',
    summary: 'Put units of a published product in the cart at its current catalog price',
    tag,
    params: cartPath,
    body: addCartItemBody,
    success: { status: 200, description: 'Added', schema: cartWritten },
    credentials: HOLDER,
    problems: [403, 404, 409, 412, 422, 503],
    readsReadModels: true,
  },
  {
    method: 'patch',
    path: `${base}/{cartId}/items/{sku}`,
    operationId: 'changeCartItemQuantity',
    summary: "Set a line's quantity",
    tag,
    params: cartItemPath,
    body: changeCartItemQuantityBody,
    success: { status: 200, description: 'Changed (or already so)', schema: cartWritten },
    credentials: HOLDER,
    problems: [403, 404, 409, 412, 422],
  },
  {
    method: 'delete',
    path: `${base}/{cartId}/items/{sku}`,
    operationId: 'removeCartItem',
    summary: 'Take a line out of the cart',
    tag,
    params: cartItemPath,
    success: { status: 200, description: 'Removed', schema: cartWritten },
    credentials: HOLDER,
    problems: [403, 404, 409, 412],
  },
  {
    method: 'delete',
    path: `${base}/{cartId}/items`,
    operationId: 'clearCart',
    summary: 'Take every line out of the cart',
    tag,
    params: cartPath,
    success: { status: 200, description: 'Cleared (or already empty)', schema: cartWritten },
    credentials: HOLDER,
    problems: [403, 404, 409, 412],
  },
];
