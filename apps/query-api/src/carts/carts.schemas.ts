import { z } from 'zod';
import { moneySchema } from '../shared.schemas';

export const cartPathParams = z.object({ cartId: z.uuid() });

export const cartSchema = z.object({
  cartId: z.uuid(),
  customerId: z.string().nullable().describe('null for a guest cart'),
  status: z
    .enum(['open', 'checked_out', 'merged'])
    .describe('merged: a guest cart whose lines moved to the customer cart `mergedInto` at sign-in'),
  currency: z.string().length(3),
  lines: z.array(
    z.object({
      sku: z.string(),
      name: z.string(),
      quantity: z.number().int().min(1),
      unitPrice: moneySchema,
      lineTotal: moneySchema,
    }),
  ),
  total: moneySchema,
  version: z.number().int().describe('Version of the cart stream (also the ETag, for If-Match)'),
  orderId: z.string().optional().describe('Present once the cart is checked out'),
  mergedInto: z.string().optional().describe('Present once a guest cart was merged into a customer cart'),
});
