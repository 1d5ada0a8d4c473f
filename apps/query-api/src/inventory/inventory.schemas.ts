import { z } from 'zod';
import { skuSchema } from '../shared.schemas';

export const stockPathParams = z.object({ sku: skuSchema });

export const stockSchema = z.object({
  sku: z.string(),
  onHand: z.number().int().describe('Units in the warehouse'),
  reserved: z.number().int().describe('Units reserved for orders not shipped yet'),
  available: z.number().int().describe('onHand - reserved'),
  version: z.number().int().describe('Version of the stock stream (also the ETag); 0 before any stock event'),
});
