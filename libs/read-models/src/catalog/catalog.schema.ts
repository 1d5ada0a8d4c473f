import type { Migration } from '@tally/database';

/**
 * One row per product; `version` is the `product-<sku>` stream version last applied.
 *
 * `search` is a generated full-text column (English stemming; name weighs most, then category, then
 * description and attribute values). Typo tolerance will add a pg_trgm index on `name` (and a table of
 * distinct lexemes to correct query words against); plain text columns keep that a pure addition.
 */
export const catalogMigrations: readonly Migration[] = [
  {
    id: '0002_catalog_products',
    sql: `
CREATE TABLE catalog_products (
  sku text PRIMARY KEY,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  category text NOT NULL DEFAULT '',
  attributes jsonb NOT NULL DEFAULT '{}',
  images jsonb NOT NULL DEFAULT '[]',
  price_amount bigint NOT NULL,
  price_currency text NOT NULL,
  status text NOT NULL CHECK (status IN ('draft', 'published', 'unpublished', 'discontinued')),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version int NOT NULL,
  search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, name), 'A') ||
    setweight(to_tsvector('english'::regconfig, category), 'B') ||
    setweight(to_tsvector('english'::regconfig, description), 'C') ||
    setweight(jsonb_to_tsvector('english'::regconfig, attributes, '["string"]'), 'D')
  ) STORED
);
CREATE INDEX catalog_products_search ON catalog_products USING gin (search);
CREATE INDEX catalog_products_status_name ON catalog_products (status, name, sku);
CREATE INDEX catalog_products_status_category ON catalog_products (status, category);
CREATE INDEX catalog_products_status_price ON catalog_products (status, price_amount);
CREATE INDEX catalog_products_status_created ON catalog_products (status, created_at DESC);
`,
  },
];
