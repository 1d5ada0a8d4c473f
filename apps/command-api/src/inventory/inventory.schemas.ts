import { STOCK_LIMITS } from '@tally/domain';
import { z } from 'zod';
import { skuSchema, stockQuantitySchema, text, versionSchema } from '../shared/common.schemas';
import type { ApiOperation } from '../shared/openapi';

// Request shapes of the inventory endpoints: the only place they are checked.

export const stockPath = z.strictObject({ sku: skuSchema });

export const receiveStockBody = z.strictObject({
  quantity: stockQuantitySchema,
  reference: text(100).optional().meta({ description: 'e.g. a delivery note number' }),
});

export const adjustStockBody = z.strictObject({
  delta: z
    .number()
    .int('must be a whole number')
    .min(-STOCK_LIMITS.maxQuantity, `must be at least -${STOCK_LIMITS.maxQuantity}`)
    .max(STOCK_LIMITS.maxQuantity, `must be at most ${STOCK_LIMITS.maxQuantity}`)
    .refine((delta) => delta !== 0, 'must not be zero')
    .meta({ description: 'Units to add (positive) or take away (negative); never zero' }),
  reason: text(STOCK_LIMITS.maxReasonLength),
});

export const stockWritten = z.object({ sku: skuSchema, version: versionSchema });

const tag = 'inventory';

export const inventoryOperations: readonly ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/inventory/{sku}/receipts',
    operationId: 'receiveStock',
    summary: 'Record goods received for a SKU',
    tag,
    params: stockPath,
    body: receiveStockBody,
    success: { status: 200, description: 'Received', schema: stockWritten },
    problems: [403, 409, 412, 422],
  },
  {
    method: 'post',
    path: '/api/v1/inventory/{sku}/adjustments',
    operationId: 'adjustStock',
    summary: 'Correct the stock count, with a reason',
    tag,
    params: stockPath,
    body: adjustStockBody,
    success: { status: 200, description: 'Adjusted', schema: stockWritten },
    problems: [403, 409, 412, 422],
  },
];
