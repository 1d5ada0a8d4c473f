import { MAX_PAGE_SIZE, ORDER_PAYMENT_STATUSES, ORDER_STATUSES } from '@tally/read-models';
import { z } from 'zod';
import { intParam, moneySchema } from '../shared.schemas';

export const orderPathParams = z.object({ orderId: z.uuid() });

/** `GET /api/v1/orders`: every parameter optional, unknown ones rejected. */
export const listOrdersQuery = z.strictObject({
  customerId: z.uuid().optional().describe("Only this customer's orders"),
  status: z.enum(ORDER_STATUSES).optional().describe('Only orders in this status'),
  page: intParam(1, 10_000).default(1).describe('1-based'),
  pageSize: intParam(1, MAX_PAGE_SIZE).default(20),
});

const orderStatusSchema = z.enum(ORDER_STATUSES);

export const orderSchema = z.object({
  orderId: z.uuid(),
  orderNumber: z.string().nullable().describe('What shoppers quote (e.g. TL-001042); null until assigned'),
  status: orderStatusSchema,
  cancellationReason: z
    .enum(['out_of_stock', 'payment_declined', 'payment_timeout', 'customer_request'])
    .nullable()
    .describe('Set only when status is cancelled'),
  customerId: z.string().nullable().describe('null for a guest order'),
  cartId: z.string().describe('The cart the order was placed from'),
  email: z.string(),
  lines: z.array(
    z.object({
      sku: z.string(),
      name: z.string(),
      quantity: z.number().int().min(1),
      unitPrice: moneySchema,
      lineTotal: moneySchema,
    }),
  ),
  totals: z
    .object({ subtotal: moneySchema, shipping: moneySchema, tax: moneySchema, total: moneySchema })
    .describe('subtotal + shipping + tax = total; tax is on subtotal + shipping'),
  shippingAddress: z.object({
    name: z.string(),
    line1: z.string(),
    line2: z.string().optional(),
    city: z.string(),
    postalCode: z.string(),
    country: z.string().length(2).describe('ISO 3166-1 alpha-2'),
  }),
  shippingMethod: z
    .object({ id: z.string(), name: z.string(), price: moneySchema })
    .describe('As priced when the order was placed'),
  payment: z.object({
    status: z.enum(ORDER_PAYMENT_STATUSES).describe('none until a payment is started'),
    amountAuthorized: moneySchema,
    amountCaptured: moneySchema,
    amountRefunded: moneySchema.describe('Sum of the refunds paid out'),
    declineReason: z.string().nullable().describe("The provider's reason when declined"),
  }),
  shipment: z
    .object({ carrier: z.string().nullable(), trackingNumber: z.string().nullable() })
    .nullable()
    .describe('null until shipped'),
  placedAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int().describe('Version of the order stream (also the ETag, for If-Match)'),
  timeline: z
    .array(
      z.object({
        at: z.string(),
        type: z.string().describe('Event type'),
        summary: z.string(),
        eventId: z.string(),
        streamId: z.string().describe('order-<orderId> or payment-<paymentId>'),
        version: z.number().int().describe('Version of the event in its stream'),
      }),
    )
    .describe("The order's and its payment's events, in the order they happened"),
});

export const orderListSchema = z.object({
  items: z
    .array(
      z.object({
        orderId: z.uuid(),
        orderNumber: z.string().nullable(),
        status: orderStatusSchema,
        total: moneySchema,
        placedAt: z.string(),
      }),
    )
    .describe('Newest first'),
  total: z.number().int().describe('Orders matching the filters, over every page'),
  page: z.number().int(),
  pageSize: z.number().int(),
});
