import type { Migration } from '@tally/database';
import type { ProjectionStorage } from '../projection';

/**
 * One row per order plus its timeline.
 *
 * `orders.version` is the `order-<uuid>` stream version last applied (the ETag); the payment state comes
 * from the order's payment stream, whose last applied version is `payment_version`. Lines, address and
 * shipping method are the snapshot taken when the order was placed and never change, so they are jsonb.
 * Amounts are minor units in the order's `currency`.
 *
 * `order_timeline` keeps one row per projected event of the order or its payment, keyed by stream and
 * version: a replayed event finds its row and changes nothing. `position` (the global log position,
 * compared like JavaScript strings, hence "C") orders the two streams' events as they happened.
 */
export const ordersMigrations: readonly Migration[] = [
  {
    id: '0005_orders',
    sql: `
CREATE TABLE orders (
  order_id text PRIMARY KEY,
  order_number text,
  cart_id text NOT NULL,
  customer_id text,
  email text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled', 'shipped', 'delivered')),
  cancellation_reason text,
  currency text NOT NULL,
  lines jsonb NOT NULL,
  subtotal_amount bigint NOT NULL,
  shipping_amount bigint NOT NULL,
  tax_amount bigint NOT NULL,
  total_amount bigint NOT NULL,
  shipping_address jsonb NOT NULL,
  shipping_method jsonb NOT NULL,
  payment_id text,
  payment_version int NOT NULL DEFAULT 0,
  payment_status text NOT NULL DEFAULT 'none' CHECK (payment_status IN
    ('none', 'initiated', 'authorized', 'declined', 'captured', 'voided', 'refunded', 'partially_refunded')),
  amount_authorized bigint NOT NULL DEFAULT 0,
  amount_captured bigint NOT NULL DEFAULT 0,
  amount_refunded bigint NOT NULL DEFAULT 0,
  decline_reason text,
  shipped boolean NOT NULL DEFAULT false,
  carrier text,
  tracking_number text,
  placed_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version int NOT NULL
);
CREATE INDEX orders_newest ON orders (placed_at DESC, order_id DESC);
CREATE INDEX orders_customer_newest ON orders (customer_id, placed_at DESC, order_id DESC)
  WHERE customer_id IS NOT NULL;
CREATE INDEX orders_status_newest ON orders (status, placed_at DESC, order_id DESC);
CREATE TABLE order_timeline (
  stream_id text NOT NULL,
  version int NOT NULL,
  order_id text NOT NULL REFERENCES orders (order_id) ON DELETE CASCADE,
  event_id text NOT NULL,
  position text COLLATE "C" NOT NULL,
  type text NOT NULL,
  at timestamptz NOT NULL,
  summary text NOT NULL,
  PRIMARY KEY (stream_id, version)
);
CREATE INDEX order_timeline_order ON order_timeline (order_id, position);
`,
  },
];

/** The `orders` projection's tables, for blue/green rebuilds. */
export const ordersStorage: ProjectionStorage = {
  tables: ['orders', 'order_timeline'],
  migrations: ordersMigrations,
  // The projection reads orders by id and the timeline by (stream, version): its primary keys.
  deferredDuringRebuild: [
    'orders_newest',
    'orders_customer_newest',
    'orders_status_newest',
    'order_timeline_order',
    'order_timeline_order_id_fkey',
  ],
};
