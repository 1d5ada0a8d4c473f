import type { Migration } from '@tally/database';

/**
 * A cart row plus one row per line. `version` is the `cart-<uuid>` stream version last applied;
 * `position` orders lines by when they were first added (the version of the event that added them).
 */
export const cartsMigrations: readonly Migration[] = [
  {
    id: '0004_carts',
    sql: `
CREATE TABLE carts (
  cart_id text PRIMARY KEY,
  customer_id text,
  status text NOT NULL CHECK (status IN ('open', 'checked_out')),
  currency text NOT NULL,
  total_amount bigint NOT NULL DEFAULT 0,
  order_id text,
  version int NOT NULL,
  opened_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX carts_customer ON carts (customer_id) WHERE customer_id IS NOT NULL;
CREATE TABLE cart_lines (
  cart_id text NOT NULL REFERENCES carts (cart_id) ON DELETE CASCADE,
  sku text NOT NULL,
  name text NOT NULL,
  quantity int NOT NULL,
  unit_price_amount bigint NOT NULL,
  unit_price_currency text NOT NULL,
  line_total_amount bigint NOT NULL,
  position int NOT NULL,
  PRIMARY KEY (cart_id, sku)
);
`,
  },
];
