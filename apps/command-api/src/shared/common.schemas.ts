import { CART_LIMITS, MAX_UNIT_PRICE_AMOUNT, STOCK_LIMITS } from '@tally/domain';
import { z } from 'zod';

/** A SKU: a letter or digit, then up to 63 letters, digits, `.`, `_` or `-`. Also a stream-id suffix. */
export const skuSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  )
  .meta({ description: 'Stock keeping unit', example: 'TEE-BLUE-M' });

/** A UUID (any version; Tally mints version 7). */
export const uuidSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i, 'must be a UUID')
  .meta({ format: 'uuid', example: '01939c5e-7e4b-7c3a-9d1e-3f5a2b8c4d6e' });

/** An ISO-4217 currency code. */
export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be a 3-letter uppercase ISO-4217 code')
  .meta({ example: 'EUR' });

/** A unit price in minor units (cents) of a currency. */
export const moneySchema = z
  .strictObject({
    amount: z
      .number()
      .int('must be a whole number of minor units')
      .min(1, 'must be at least 1 minor unit')
      .max(MAX_UNIT_PRICE_AMOUNT, `must be at most ${MAX_UNIT_PRICE_AMOUNT} minor units`)
      .meta({ description: 'Minor units (cents)', example: 1999 }),
    currency: currencySchema,
  })
  .meta({ description: 'Money in minor units of an ISO-4217 currency' });

/** A trimmed, non-empty string of at most `max` characters. */
export const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** Units of one cart line. */
export const cartQuantitySchema = z
  .number()
  .int('must be a whole number')
  .min(CART_LIMITS.minQuantity, `must be at least ${CART_LIMITS.minQuantity}`)
  .max(CART_LIMITS.maxQuantity, `must be at most ${CART_LIMITS.maxQuantity}`);

/** Units received into stock. */
export const stockQuantitySchema = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(STOCK_LIMITS.maxQuantity, `must be at most ${STOCK_LIMITS.maxQuantity}`);

/** What every successful command returns besides its resource id: the stream version (also the ETag). */
export const versionSchema = z
  .number()
  .int()
  .min(1)
  .meta({ description: 'Stream version after the command; also the ETag' });

/** Endpoints that take no body accept none, or an empty object; any field in it is unknown. */
export const noBody = z.strictObject({}).optional();
