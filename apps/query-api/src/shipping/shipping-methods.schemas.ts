import { z } from 'zod';
import { moneySchema } from '../shared.schemas';

/** `GET /api/v1/shipping-methods` takes no parameters; an unknown one is a 400 naming it. */
export const shippingMethodsQuery = z.strictObject({});

export const shippingMethodListSchema = z.object({
  items: z.array(
    z.object({
      id: z.string().describe('What checkout takes as shippingMethod'),
      name: z.string(),
      description: z.string(),
      price: moneySchema,
      estimatedDays: z
        .object({ min: z.number().int(), max: z.number().int() })
        .describe('Working days until delivery'),
    }),
  ),
});
