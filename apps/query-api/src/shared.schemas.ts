import { z } from 'zod';

/**
 * Schemas shared by several endpoints. Request schemas are strict (an unknown parameter is a 400 naming
 * it); response schemas document what the read models return and feed the OpenAPI document.
 */

/** A query-string integer: digits only (so `1e3`, `1.5` and an empty value are rejected), then bounds. */
export const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** `true` or `false`, nothing else. */
export const booleanParam = z.enum(['true', 'false']).transform((value) => value === 'true');

/**
 * A SKU in a path: what the catalog accepts. Anything else cannot exist, so it is a 400 rather than a 404.
 */
export const skuSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, dot, dash or underscore');

/** The `Tally-Consistency` request header: a checkpoint from a command response (opaque, printable). */
export const consistencyHeaderSchema = z.object({
  'Tally-Consistency': z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be the Tally-Consistency value of a command response')
    .optional(),
});

export const moneySchema = z.object({
  amount: z.number().int().describe('Minor units (cents)'),
  currency: z.string().length(3).describe('ISO 4217 code'),
});

/** Problem details, as every Tally app sends them. */
export { problemDetailsSchema as problemSchema } from '@tally/platform';
