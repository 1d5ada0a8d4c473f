import type { Migration } from '@tally/database';
import type { ProjectionStorage } from '../projection';

/**
 * The words typo correction may correct to, for the product rows selected by `where`: unstemmed and
 * lowercased (so that a correction reads as a word), from name, category, description and attribute values;
 * shorter than three letters they have too few trigrams to compare.
 */
export const searchTermsOf = (where: string): string => searchTermsFrom(`catalog_products WHERE ${where}`);

/**
 * {@link searchTermsOf} over any relation with the product's `sku`, `name`, `category`, `description` and
 * `attributes` (jsonb): the projection derives the words of texts a product had only within one batch.
 */
export const searchTermsFrom = (source: string): string => `
  SELECT DISTINCT sku, term FROM (
    SELECT sku, unnest(tsvector_to_array(
      to_tsvector('simple'::regconfig, name || ' ' || category || ' ' || description) ||
      jsonb_to_tsvector('simple'::regconfig, attributes, '["string"]'))) AS term
    FROM ${source}
  ) t WHERE length(term) >= 3`;

/**
 * The search tables and columns of ADR 0010. pg_trgm goes to `public` (on every search path Tally sets):
 * created inside a test's or a tenant's own schema, it would vanish with that schema and be invisible to
 * the others.
 */
const CATALOG_SEARCH_DDL = `
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
ALTER TABLE catalog_products
  ADD COLUMN category_slug text GENERATED ALWAYS AS (
    trim(both '-' from regexp_replace(lower(category), '[^a-z0-9]+', '-', 'g'))
  ) STORED,
  ADD COLUMN words tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig, name || ' ' || category)
  ) STORED;
CREATE INDEX catalog_products_status_category_slug ON catalog_products (status, category_slug);
CREATE INDEX catalog_products_words ON catalog_products USING gin (words);
CREATE INDEX catalog_products_name_trgm ON catalog_products USING gin (name gin_trgm_ops);
CREATE TABLE catalog_search_terms (
  sku text NOT NULL,
  term text NOT NULL,
  PRIMARY KEY (sku, term)
);
CREATE INDEX catalog_search_terms_term ON catalog_search_terms (term);
CREATE TABLE catalog_search_vocabulary (term text PRIMARY KEY);
CREATE INDEX catalog_search_vocabulary_trgm ON catalog_search_vocabulary USING gin (term gin_trgm_ops);
CREATE TABLE catalog_product_sales (
  order_id text NOT NULL,
  sku text NOT NULL,
  units bigint NOT NULL,
  PRIMARY KEY (order_id, sku)
);
CREATE TABLE catalog_popularity (
  sku text PRIMARY KEY,
  units_ordered bigint NOT NULL
);
`;

/**
 * One row per product; `version` is the `product-<sku>` stream version last applied.
 *
 * `search` is a generated full-text column (English stemming; name weighs most, then category, then
 * description and attribute values). Typo tolerance (ADR 0010) adds, in `0006_catalog_search`:
 * - `catalog_search_terms`: the words of each product, and `catalog_search_vocabulary`, every word ever
 *   seen, trigram-indexed (insert-only: a word no product uses any more is filtered out through the
 *   terms), so that a query word no product contains can be corrected to the nearest words some product
 *   does contain, without scanning each product's copy of a frequent word;
 * - `words` (unstemmed name and category words) and a trigram index on `name`, for suggestions while typing;
 * - `category_slug`, so that category pages can filter by a URL-safe name;
 * - `catalog_product_sales` + `catalog_popularity`: units ordered per SKU, the tie-break after relevance.
 */
const catalogProductsMigration: Migration = {
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
};

export const catalogMigrations: readonly Migration[] = [
  catalogProductsMigration,
  {
    id: '0006_catalog_search',
    // The catalog checkpoint is reset at the end so that the runner replays history once: product
    // handlers are idempotent (version guards), and the new OrderPlaced handler counts past orders.
    sql: `${CATALOG_SEARCH_DDL}INSERT INTO catalog_search_terms (sku, term) ${searchTermsOf('true')};
INSERT INTO catalog_search_vocabulary (term) SELECT DISTINCT term FROM catalog_search_terms;
UPDATE projection_checkpoints SET checkpoint = '' WHERE name = 'catalog';
`,
  },
];

/** The `catalog` projection's tables, for blue/green rebuilds. */
export const catalogStorage: ProjectionStorage = {
  tables: [
    'catalog_products',
    'catalog_search_terms',
    'catalog_search_vocabulary',
    'catalog_product_sales',
    'catalog_popularity',
  ],
  // The DDL only: the migration's backfill and checkpoint reset concern the live copy.
  migrations: [catalogProductsMigration, { id: '0006_catalog_search', sql: CATALOG_SEARCH_DDL }],
};
