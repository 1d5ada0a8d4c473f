import { z } from 'zod';
import { text, uuidSchema, versionSchema } from '../shared/common.schemas';
import { isCountryCode } from '../shared/country-codes';
import type { ApiOperation } from '../shared/openapi';

// Request shape of the checkout endpoint: the only place it is checked.

export const checkoutPath = z.strictObject({ cartId: uuidSchema });

/** Where the order is shipped; `country` is an officially assigned ISO 3166-1 alpha-2 code. */
export const shippingAddressSchema = z
  .strictObject({
    name: text(200).meta({ description: 'Recipient', example: 'Ada Lovelace' }),
    line1: text(200).meta({ example: '12 Analytical Row' }),
    line2: text(200).optional().meta({ example: 'Flat 3' }),
    city: text(100).meta({ example: 'London' }),
    postalCode: text(20).meta({ example: 'N1 9GU' }),
    country: z
      .string()
      .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code in upper case, e.g. "DE"')
      .meta({ description: 'ISO 3166-1 alpha-2', example: 'GB' }),
  })
  .meta({ description: 'Shipping address' });

export const checkoutBody = z.strictObject({
  email: z
    .email('must be an email address')
    .max(254, 'must be at most 254 characters')
    .meta({ description: 'Where the order confirmation goes', example: 'ada@example.com' }),
  shippingAddress: shippingAddressSchema,
  shippingMethod: text(50).meta({
    description: 'A shipping method id from `GET /api/v1/shipping-methods` (query API)',
    example: 'standard',
  }),
  payment: z.strictObject({
    paymentMethodId: z
      .string()
      .max(255, 'must be at most 255 characters')
      .regex(/^pm_[A-Za-z0-9_]+$/, 'must be a payment method token such as "pm_card_visa"')
      .meta({
        description:
          "The provider's payment-method token: what Stripe.js returns in Stripe mode; Stripe's test ids " +
          '(`pm_card_visa`, `pm_card_chargeDeclined`, ...) with the simulated provider. Never card data.',
        example: 'pm_card_visa',
      }),
  }),
});

export type CheckoutBody = z.infer<typeof checkoutBody>;

export const checkoutAccepted = z.object({
  orderId: uuidSchema.meta({ description: 'The order being placed; follow it on the query API' }),
  cartId: uuidSchema,
  version: versionSchema.meta({ description: "The cart's version after checkout; also the ETag" }),
});

export const checkoutOperations: readonly ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/carts/{cartId}/checkout',
    operationId: 'checkOutCart',
    summary:
      'Check out the cart: freeze it for one order, which is then placed, reserved and paid asynchronously',
    tag: 'checkout',
    params: checkoutPath,
    body: checkoutBody,
    success: { status: 202, description: 'Accepted: the order is being placed', schema: checkoutAccepted },
    problems: [403, 404, 409, 412, 422],
  },
];
