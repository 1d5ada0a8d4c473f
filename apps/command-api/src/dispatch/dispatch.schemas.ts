import type {
  AssignOrderNumber,
  AuthorizePayment,
  CancelOrder,
  CapturePayment,
  CheckoutCommand,
  CommitStockReservation,
  ConfirmOrder,
  PlaceOrder,
  RecordOrderPaymentAuthorized,
  RecordOrderPaymentCaptured,
  RecordOrderRefunded,
  RecordOrderStockReserved,
  RefundPayment,
  ReleaseStockReservation,
  ReserveStock,
  VoidPayment,
} from '@tally/domain';
import { z } from 'zod';
import { currencySchema, skuSchema, uuidSchema } from '../shared/common.schemas';

// The shapes of the commands the process managers send over NATS: what command-api relies on is checked
// here (ids, amounts, enumerations); business rules are the deciders'. Objects are loose: a field the
// sender adds and a decider does not know is passed on, never a reason to refuse a whole checkout.

const nonEmpty = z.string().trim().min(1, 'must not be empty');

const money = z.looseObject({
  amount: z.number().int('must be a whole number of minor units').min(0, 'must not be negative'),
  currency: currencySchema,
});

const orderRef = z.looseObject({ orderId: uuidSchema });

const line = z.looseObject({
  sku: skuSchema,
  name: nonEmpty,
  quantity: z.number().int().min(1),
  unitPrice: money,
  lineTotal: money,
});

const placeOrder = z.looseObject({
  orderId: uuidSchema,
  cartId: uuidSchema,
  customerId: uuidSchema.nullable(),
  email: nonEmpty,
  lines: z.array(line).min(1, 'must hold at least one line'),
  shippingAddress: z.looseObject({
    name: nonEmpty,
    line1: nonEmpty,
    line2: z.string().optional(),
    city: nonEmpty,
    postalCode: nonEmpty,
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code'),
  }),
  shippingMethod: z.looseObject({ id: nonEmpty, name: nonEmpty, price: money }),
  taxRateBasisPoints: z.number().int().min(0).max(10_000),
  paymentMethodId: nonEmpty,
}) satisfies z.ZodType<PlaceOrder['data']>;

const paymentFact = z.looseObject({ orderId: uuidSchema, paymentId: uuidSchema, amount: money });

const stockRef = z.looseObject({ sku: skuSchema, orderId: uuidSchema });

const paymentRef = z.looseObject({ paymentId: uuidSchema, orderId: uuidSchema });

/** The data schema of every command the checkout process sends (`CheckoutCommand['type']`). */
export const dispatchedCommandData = {
  PlaceOrder: placeOrder,
  // The number is allocated here, never chosen by the sender (a number it sends is ignored).
  AssignOrderNumber: orderRef satisfies z.ZodType<Pick<AssignOrderNumber['data'], 'orderId'>>,
  RecordOrderStockReserved: orderRef satisfies z.ZodType<RecordOrderStockReserved['data']>,
  RecordOrderPaymentAuthorized: paymentFact satisfies z.ZodType<RecordOrderPaymentAuthorized['data']>,
  ConfirmOrder: orderRef satisfies z.ZodType<ConfirmOrder['data']>,
  RecordOrderPaymentCaptured: paymentFact satisfies z.ZodType<RecordOrderPaymentCaptured['data']>,
  CancelOrder: z.looseObject({
    orderId: uuidSchema,
    reason: z.enum(['out_of_stock', 'payment_declined', 'payment_timeout', 'customer_request']),
    detail: z.string().max(1000).optional(),
  }) satisfies z.ZodType<CancelOrder['data']>,
  RecordOrderRefunded: z.looseObject({
    orderId: uuidSchema,
    refundId: uuidSchema,
    amount: money,
  }) satisfies z.ZodType<RecordOrderRefunded['data']>,
  ReserveStock: z.looseObject({
    sku: skuSchema,
    orderId: uuidSchema,
    quantity: z.number().int().min(1),
  }) satisfies z.ZodType<ReserveStock['data']>,
  ReleaseStockReservation: stockRef satisfies z.ZodType<ReleaseStockReservation['data']>,
  CommitStockReservation: stockRef satisfies z.ZodType<CommitStockReservation['data']>,
  AuthorizePayment: z.looseObject({
    paymentId: uuidSchema,
    orderId: uuidSchema,
    amount: money,
    paymentMethodId: nonEmpty,
  }) satisfies z.ZodType<AuthorizePayment['data']>,
  CapturePayment: paymentRef satisfies z.ZodType<CapturePayment['data']>,
  VoidPayment: paymentRef satisfies z.ZodType<VoidPayment['data']>,
  RefundPayment: z.looseObject({
    paymentId: uuidSchema,
    orderId: uuidSchema,
    refundId: uuidSchema,
    amount: money,
  }) satisfies z.ZodType<RefundPayment['data']>,
} as const satisfies Record<CheckoutCommand['type'], z.ZodType>;

export type DispatchedType = keyof typeof dispatchedCommandData;

/** The wire envelope (type and metadata); `data` is checked against its type's schema afterwards. */
export const commandEnvelopeSchema = z.object({
  type: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'must be a PascalCase command type'),
  data: z.unknown(),
  metadata: z.object({
    commandId: uuidSchema,
    correlationId: nonEmpty,
    causationId: nonEmpty,
    actor: z.object({
      id: nonEmpty,
      role: z.enum(['customer', 'guest', 'admin', 'auditor', 'analyst', 'system']),
    }),
    occurredAt: z.iso.datetime({ offset: true }),
  }),
});

export function isDispatchedType(type: string): type is DispatchedType {
  return Object.hasOwn(dispatchedCommandData, type);
}
