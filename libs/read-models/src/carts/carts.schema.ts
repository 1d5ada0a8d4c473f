import type { Migration } from '@tally/database';
import type { ProjectionStorage } from '../projection';

/**
 * A cart row plus one row per line. `version` is the `cart-<uuid>` stream version last applied;
 * `position` orders lines by when they were first added (one more than the cart's last line).
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
  {
    // A guest cart merged into a customer's cart at sign-in is closed: status `merged`, pointing at the
    // cart it went into. The customer's newest open cart is looked up by owner (sign-in, "my cart").
    id: '0008_carts_merged',
    sql: `
ALTER TABLE carts DROP CONSTRAINT IF EXISTS carts_status_check;
ALTER TABLE carts ADD CONSTRAINT carts_status_check CHECK (status IN ('open', 'checked_out', 'merged'));
ALTER TABLE carts ADD COLUMN merged_into text;
CREATE INDEX carts_customer_open_newest ON carts (customer_id, opened_at DESC, cart_id DESC)
  WHERE status = 'open' AND customer_id IS NOT NULL;
`,
  },
];

/** The `carts` projection's tables, for blue/green rebuilds. */
export const cartsStorage: ProjectionStorage = {
  tables: ['carts', 'cart_lines'],
  migrations: cartsMigrations,
  // The projection reads carts and their lines by cart id: the primary keys.
  deferredDuringRebuild: ['carts_customer', 'carts_customer_open_newest', 'cart_lines_cart_id_fkey'],
};
