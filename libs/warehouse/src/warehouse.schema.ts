import type { Migration } from '@tally/database';
import { AGGREGATES_FROM_FACTS_SQL, WAREHOUSE_AGGREGATES } from './aggregates/warehouse-aggregates';

/**
 * The analysts' star schema (docs/warehouse.md). Every statement uses unqualified names: the warehouse
 * client puts the warehouse schema first on its search path, and a blue/green rebuild runs the same
 * statements with its own schema first.
 *
 * Keys are natural and deterministic, so that replaying the same events builds byte-identical tables:
 * facts are keyed by the id of the event they come from (a replayed or redelivered event changes nothing),
 * `dim_product` rows by the id of the event that opened the version, customers by a keyed pseudonym.
 * Amounts are minor units (bigint) in `currency`; times are UTC; `date_key` is `yyyymmdd` of the UTC day.
 *
 * Facts carry no foreign keys to the dimensions: checking one per inserted row doubled the cost of loading
 * a fact table, and the projection is the only writer (it resolves every key it writes, and the
 * warehouse tests check that each `date_key` and `product_key` resolves).
 */
export const warehouseTableMigrations: readonly Migration[] = [
  {
    id: '0001_warehouse_star_schema',
    sql: `
CREATE TABLE dim_date (
  date_key int PRIMARY KEY,
  date date NOT NULL UNIQUE,
  year smallint NOT NULL,
  quarter smallint NOT NULL,
  month smallint NOT NULL,
  month_name text NOT NULL,
  day smallint NOT NULL,
  iso_year smallint NOT NULL,
  iso_week smallint NOT NULL,
  day_of_week smallint NOT NULL,
  day_name text NOT NULL,
  is_weekend boolean NOT NULL
);
INSERT INTO dim_date
SELECT to_char(d, 'YYYYMMDD')::int, d::date,
  extract(year FROM d)::smallint, extract(quarter FROM d)::smallint, extract(month FROM d)::smallint,
  trim(to_char(d, 'Month')), extract(day FROM d)::smallint,
  extract(isoyear FROM d)::smallint, extract(week FROM d)::smallint, extract(isodow FROM d)::smallint,
  trim(to_char(d, 'Day')), extract(isodow FROM d) IN (6, 7)
FROM generate_series('2000-01-01'::date, '2099-12-31'::date, interval '1 day') AS d;

CREATE TABLE dim_product (
  product_key uuid PRIMARY KEY,
  sku text NOT NULL,
  version int NOT NULL,
  name text NOT NULL,
  category text NOT NULL,
  price_amount bigint NOT NULL,
  currency text NOT NULL,
  status text NOT NULL CHECK (status IN ('draft', 'published', 'unpublished', 'discontinued')),
  valid_from timestamptz NOT NULL,
  valid_to timestamptz,
  is_current boolean NOT NULL,
  UNIQUE (sku, version)
);
CREATE INDEX dim_product_sku_valid ON dim_product (sku, valid_from);

CREATE TABLE dim_customer (
  customer_key text PRIMARY KEY,
  registered_at timestamptz NOT NULL,
  registered_date_key int NOT NULL
);

CREATE TABLE fact_order_line (
  order_id text NOT NULL,
  line_no smallint NOT NULL,
  event_id uuid NOT NULL,
  placed_at timestamptz NOT NULL,
  date_key int NOT NULL,
  customer_key text,
  product_key uuid,
  sku text NOT NULL,
  quantity int NOT NULL,
  unit_price bigint NOT NULL,
  line_total bigint NOT NULL,
  order_total bigint NOT NULL,
  currency text NOT NULL,
  PRIMARY KEY (order_id, line_no)
);
CREATE INDEX fact_order_line_date ON fact_order_line (date_key);
CREATE INDEX fact_order_line_sku_placed ON fact_order_line (sku, placed_at);
CREATE INDEX fact_order_line_product ON fact_order_line (product_key);

CREATE TABLE fact_payment (
  event_id uuid PRIMARY KEY,
  order_id text NOT NULL,
  payment_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('initiated', 'authorized', 'declined', 'captured', 'voided', 'refunded')),
  amount bigint NOT NULL,
  currency text,
  refund_id text,
  decline_reason text,
  occurred_at timestamptz NOT NULL,
  date_key int NOT NULL
);
CREATE INDEX fact_payment_date_kind ON fact_payment (date_key, kind);
CREATE INDEX fact_payment_order ON fact_payment (order_id);

CREATE TABLE fact_cart_activity (
  activity_id text PRIMARY KEY,
  cart_id text NOT NULL,
  activity text NOT NULL CHECK (activity IN ('open', 'add', 'change', 'remove', 'checkout', 'abandon')),
  sku text,
  quantity int,
  unit_price bigint,
  currency text,
  customer_key text,
  order_id text,
  occurred_at timestamptz NOT NULL,
  date_key int NOT NULL
);
CREATE INDEX fact_cart_activity_date ON fact_cart_activity (date_key, activity);
CREATE INDEX fact_cart_activity_cart ON fact_cart_activity (cart_id);

CREATE TABLE warehouse_cart_state (
  cart_id text PRIMARY KEY,
  customer_key text,
  opened_at timestamptz NOT NULL,
  last_activity_at timestamptz NOT NULL,
  units int NOT NULL,
  checked_out boolean NOT NULL,
  abandoned_at timestamptz
);
CREATE INDEX warehouse_cart_state_idle ON warehouse_cart_state (last_activity_at)
  WHERE NOT checked_out AND abandoned_at IS NULL;

CREATE TABLE fact_stock_movement (
  event_id uuid PRIMARY KEY,
  sku text NOT NULL,
  movement text NOT NULL CHECK (movement IN
    ('received', 'adjusted', 'reserved', 'rejected', 'released', 'committed')),
  on_hand_delta int NOT NULL,
  reserved_delta int NOT NULL,
  quantity int NOT NULL,
  order_id text,
  reason text,
  occurred_at timestamptz NOT NULL,
  date_key int NOT NULL
);
CREATE INDEX fact_stock_movement_sku_time ON fact_stock_movement (sku, occurred_at);
CREATE INDEX fact_stock_movement_date ON fact_stock_movement (date_key, movement);

CREATE TABLE fact_search (
  event_id uuid PRIMARY KEY,
  query text NOT NULL,
  normalized_query text NOT NULL,
  results int NOT NULL,
  zero_result boolean NOT NULL,
  corrected_query text,
  customer_key text,
  occurred_at timestamptz NOT NULL,
  date_key int NOT NULL
);
CREATE INDEX fact_search_date ON fact_search (date_key, zero_result);
`,
  },
  {
    // The aggregates the metric views read (aggregates/warehouse-aggregates.ts), filled from the facts a
    // warehouse already holds; a rebuild runs this on empty tables. The small tables whose rows every
    // batch updates leave room in their pages, so that an update stays on its page (no index entry).
    id: '0002_warehouse_aggregates',
    sql: `
CREATE TABLE agg_sales_daily (
  date_key int NOT NULL,
  currency text,
  captured bigint NOT NULL DEFAULT 0,
  refunded bigint NOT NULL DEFAULT 0,
  payments bigint NOT NULL DEFAULT 0,
  orders_placed bigint NOT NULL DEFAULT 0,
  orders_paid bigint NOT NULL DEFAULT 0,
  UNIQUE NULLS NOT DISTINCT (date_key, currency)
) WITH (fillfactor = 50);

CREATE TABLE agg_category_revenue_daily (
  date_key int NOT NULL,
  currency text,
  category text NOT NULL,
  revenue numeric NOT NULL,
  allocations bigint NOT NULL,
  UNIQUE NULLS NOT DISTINCT (date_key, currency, category)
) WITH (fillfactor = 50);

CREATE TABLE agg_product_sales_daily (
  date_key int NOT NULL,
  sku text NOT NULL,
  units bigint NOT NULL,
  line_revenue bigint NOT NULL,
  orders bigint NOT NULL,
  PRIMARY KEY (date_key, sku)
);

CREATE TABLE agg_cart_funnel_daily (
  date_key int PRIMARY KEY,
  carts_opened bigint NOT NULL DEFAULT 0,
  carts_with_items bigint NOT NULL DEFAULT 0,
  carts_checked_out bigint NOT NULL DEFAULT 0,
  carts_paid bigint NOT NULL DEFAULT 0,
  carts_abandoned bigint NOT NULL DEFAULT 0
) WITH (fillfactor = 50);

CREATE TABLE agg_stock_monthly (
  sku text NOT NULL,
  month date NOT NULL,
  units_sold bigint NOT NULL,
  on_hand_change bigint NOT NULL,
  on_hand_weighted numeric NOT NULL,
  PRIMARY KEY (sku, month)
) WITH (fillfactor = 50);

ALTER TABLE warehouse_cart_state
  ADD COLUMN opened_date_key int,
  ADD COLUMN with_items boolean NOT NULL DEFAULT false,
  ADD COLUMN abandonments int NOT NULL DEFAULT 0;

CREATE INDEX fact_cart_activity_checkout ON fact_cart_activity (order_id) WHERE activity = 'checkout';
${AGGREGATES_FROM_FACTS_SQL}`,
  },
];

/**
 * The tables the warehouse projection writes (and a rebuild copies and swaps), `dim_date` and the
 * aggregates included.
 */
export const WAREHOUSE_TABLES = [
  'dim_date',
  'dim_product',
  'dim_customer',
  'fact_order_line',
  'fact_payment',
  'fact_cart_activity',
  'warehouse_cart_state',
  'fact_stock_movement',
  'fact_search',
  ...WAREHOUSE_AGGREGATES,
] as const;
