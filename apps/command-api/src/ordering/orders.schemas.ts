import { z } from 'zod';
import { moneySchema, text, uuidSchema, versionSchema } from '../shared/common.schemas';
import type { ApiOperation } from '../shared/openapi';

// Request shapes of the order endpoints: the only place they are checked.

export const orderPath = z.strictObject({ orderId: uuidSchema });

export const shipOrderBody = z
  .strictObject({
    carrier: text(100).optional().meta({ example: 'DHL' }),
    trackingNumber: text(100).optional().meta({ example: '00340434161094042557' }),
  })
  .optional()
  .transform((body) => body ?? {});

export const requestRefundBody = z.strictObject({
  amount: moneySchema.meta({ description: 'At most what was captured and not yet refunded' }),
  reason: text(500).meta({ example: 'Damaged in transit' }),
});

export const orderWritten = z.object({ orderId: uuidSchema, version: versionSchema });

export const refundRequested = z.object({
  orderId: uuidSchema,
  refundId: uuidSchema.meta({ description: 'Follow the refund on the order (query API)' }),
  version: versionSchema,
});

const base = '/api/v1/orders';
const tag = 'orders';

export const orderOperations: readonly ApiOperation[] = [
  {
    method: 'post',
    path: `${base}/{orderId}/cancel`,
    operationId: 'cancelOrder',
    summary: 'Cancel the order (customer request); not once it has shipped',
    tag,
    params: orderPath,
    success: { status: 200, description: 'Cancelled (or already so)', schema: orderWritten },
    problems: [403, 404, 409, 412],
  },
  {
    method: 'post',
    path: `${base}/{orderId}/ship`,
    operationId: 'shipOrder',
    summary: 'Admin: the confirmed order left the warehouse',
    tag,
    params: orderPath,
    body: shipOrderBody,
    bodyRequired: false,
    success: { status: 200, description: 'Shipped (or already so)', schema: orderWritten },
    problems: [403, 404, 409, 412],
  },
  {
    method: 'post',
    path: `${base}/{orderId}/deliver`,
    operationId: 'deliverOrder',
    summary: 'Admin: the shipped order reached the customer',
    tag,
    params: orderPath,
    success: { status: 200, description: 'Delivered (or already so)', schema: orderWritten },
    problems: [403, 404, 409, 412],
  },
  {
    method: 'post',
    path: `${base}/{orderId}/refunds`,
    operationId: 'requestOrderRefund',
    summary: 'Admin: give money back, in full or in part; paid out asynchronously by the payment provider',
    tag,
    params: orderPath,
    body: requestRefundBody,
    success: { status: 202, description: 'Accepted: the refund is being paid out', schema: refundRequested },
    problems: [403, 404, 409, 412, 422],
  },
];
