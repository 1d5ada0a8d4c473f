import { z } from 'zod';

/** `GET /api/v1/categories`: every category with published products, by name. */
export const categoryListSchema = z.array(
  z.object({
    name: z.string(),
    slug: z.string().describe('Lowercase; runs of other characters than a-z, 0-9 become one dash'),
    productCount: z.number().int().describe('Published products in the category'),
  }),
);
