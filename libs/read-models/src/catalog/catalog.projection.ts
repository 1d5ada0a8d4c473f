import type { SqlExecutor } from '@tally/database';
import { type OrderPlaced, PRODUCT_EVENT_TYPES, type ProductEvent } from '@tally/domain';
import { recordset, StatementPipeline, textArray } from '../batch';
import { occurredAt, type ProjectedEvent, type Projection } from '../projection';
import { catalogStorage, searchTermsFrom, searchTermsOf } from './catalog.schema';

type ProductStatus = 'draft' | 'published' | 'unpublished' | 'discontinued';
type CatalogEvent = ProjectedEvent<ProductEvent | OrderPlaced>;

const PRODUCT_TYPES = new Set<string>(PRODUCT_EVENT_TYPES);

const STATUS_AFTER: Partial<Record<ProductEvent['type'], ProductStatus>> = {
  ProductPublished: 'published',
  ProductUnpublished: 'unpublished',
  ProductDiscontinued: 'discontinued',
};

/**
 * A `catalog_products` row as the batch folds it. `attributes` and `images` are JSON text, so that a row
 * read back and written again is stored exactly as it was.
 */
interface ProductRow {
  sku: string;
  name: string;
  description: string;
  category: string;
  attributes: string;
  images: string;
  price_amount: number | string;
  price_currency: string;
  status: ProductStatus;
  created_at?: string;
  updated_at?: string;
  version: number;
}

/** What a product's words are derived from (see {@link searchTermsFrom}). */
type ProductText = Pick<ProductRow, 'sku' | 'name' | 'description' | 'category' | 'attributes'>;

/** The product rows a batch changes, and every text its products had along the way. */
interface ProductsFolded {
  /** Rows of products created by the batch, in their state after it. */
  readonly created: readonly ProductRow[];
  /** Rows that existed before the batch and that it changed. */
  readonly updated: readonly ProductRow[];
  /** Each product text an applied event left behind, in order (the last one per SKU is current). */
  readonly texts: readonly ProductText[];
}

const PRODUCT_COLUMNS = {
  sku: 'text',
  name: 'text',
  description: 'text',
  category: 'text',
  attributes: 'text',
  images: 'text',
  price_amount: 'bigint',
  price_currency: 'text',
  status: 'text',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  version: 'int',
} as const;

/**
 * Products for listing, search and detail pages. Each update is guarded by the stream version, so a
 * replayed event is a no-op, and events for a product never created are ignored.
 *
 * It also keeps what search ranks and corrects with (ADR 0010): the lexemes of each product, and its
 * popularity, the units ordered per SKU, counted once per order from `OrderPlaced`.
 *
 * Set-based: `apply` reads the batch's products once, folds their events in memory in log order (the same
 * version guard and field rules an event at a time would apply) and writes each table with one statement,
 * whatever the batch size; words are re-derived only for products whose text changed. The tables come out
 * the same however the log is cut into batches, and a batch replayed changes nothing.
 */
export const catalogProjection: Projection = {
  name: 'catalog',
  eventTypes: [...PRODUCT_EVENT_TYPES, 'OrderPlaced'],
  storage: catalogStorage,
  async apply(tx, events) {
    const sql = new StatementPipeline(tx);
    try {
      // JSON parameters count as 100 rows to the planner, enough to make JIT compile statements that run
      // in milliseconds (docs/benchmarks/warehouse.md). For this transaction only.
      const writes: Promise<unknown>[] = [sql.query('SET LOCAL jit = off')];
      const batch = events as readonly CatalogEvent[];
      const productEvents = batch.filter((event) => PRODUCT_TYPES.has(event.type));
      const loaded = loadProducts(sql, productEvents);
      writes.push(countSales(sql, batch));
      const folded = foldProducts(await loaded, productEvents);
      writes.push(sendProducts(sql, folded));
      await Promise.all(writes);
    } finally {
      await sql.settled();
    }
  },
};

/** The current rows of the products the batch's events name. */
async function loadProducts(
  sql: SqlExecutor,
  events: readonly CatalogEvent[],
): Promise<Map<string, ProductRow>> {
  if (events.length === 0) return new Map();
  const skus = [...new Set(events.map((event) => (event.data as { sku: string }).sku))];
  const { rows } = await sql.query<ProductRow>(
    `SELECT sku, name, description, category, attributes::text AS attributes, images::text AS images,
       price_amount::text AS price_amount, price_currency, status, version
     FROM catalog_products WHERE sku = ANY(${textArray('$1')})`,
    [JSON.stringify(skus)],
  );
  return new Map(rows.map((row) => [row.sku, row]));
}

/**
 * Applies the product events to `rows` in order, as the one-event-at-a-time handlers did: a creation only
 * for a SKU not there yet, every other event only to a known product and only when its stream version is
 * newer than the row's; absent detail fields keep their value.
 */
function foldProducts(rows: Map<string, ProductRow>, events: readonly CatalogEvent[]): ProductsFolded {
  const created = new Map<string, ProductRow>();
  const updated = new Set<ProductRow>();
  const texts: ProductText[] = [];
  const textOf = ({ sku, name, description, category, attributes }: ProductRow): ProductText => ({
    sku,
    name,
    description,
    category,
    attributes,
  });
  for (const event of events) {
    const at = occurredAt(event);
    const sku = (event.data as { sku: string }).sku;
    if (event.type === 'ProductCreated') {
      const { name, description, category, attributes, images, price } = event.data as ProductCreated;
      const row: ProductRow = {
        sku,
        name,
        description,
        category,
        attributes: JSON.stringify(attributes),
        images: JSON.stringify(images),
        price_amount: price.amount,
        price_currency: price.currency,
        status: 'draft',
        created_at: at,
        updated_at: at,
        version: event.version,
      };
      if (rows.has(sku)) continue;
      rows.set(sku, row);
      created.set(sku, row);
      texts.push(textOf(row));
      continue;
    }
    const change = productChange(event);
    const row = rows.get(sku);
    if (!row || row.version >= event.version) continue;
    const before = JSON.stringify(textOf(row));
    change(row);
    row.version = event.version;
    row.updated_at = at;
    if (!created.has(sku)) updated.add(row);
    if (JSON.stringify(textOf(row)) !== before) texts.push(textOf(row));
  }
  return { created: [...created.values()], updated: [...updated], texts };
}

type ProductCreated = Extract<ProductEvent, { type: 'ProductCreated' }>['data'];
type ProductDetailsChanged = Extract<ProductEvent, { type: 'ProductDetailsChanged' }>['data'];
type ProductPriceChanged = Extract<ProductEvent, { type: 'ProductPriceChanged' }>['data'];

/**
 * What a non-creating product event does to its row. The event's fields are read before the row is looked
 * at, so that a malformed event fails (and is isolated as poison) whether or not its product exists.
 */
function productChange(event: CatalogEvent): (row: ProductRow) => void {
  switch (event.type) {
    case 'ProductPriceChanged': {
      const { price } = event.data as ProductPriceChanged;
      const [amount, currency] = [price.amount, price.currency];
      return (row) => {
        row.price_amount = amount;
        row.price_currency = currency;
      };
    }
    case 'ProductDetailsChanged': {
      // Only the changed fields are present; absent ones keep their value.
      const { name, description, category, attributes, images } = event.data as ProductDetailsChanged;
      const attributesJson = attributes === undefined ? undefined : JSON.stringify(attributes);
      const imagesJson = images === undefined ? undefined : JSON.stringify(images);
      return (row) => {
        if (name != null) row.name = name;
        if (description != null) row.description = description;
        if (category != null) row.category = category;
        if (attributesJson != null) row.attributes = attributesJson;
        if (imagesJson != null) row.images = imagesJson;
      };
    }
    default: {
      const status = STATUS_AFTER[event.type as ProductEvent['type']];
      return (row) => {
        if (status) row.status = status;
      };
    }
  }
}

/**
 * Writes the folded rows, then re-derives the words of every product whose text changed and adds the
 * words of each text it had to the vocabulary (insert-only: a word once seen stays correctable to).
 */
function sendProducts(sql: SqlExecutor, { created, updated, texts }: ProductsFolded): Promise<unknown> {
  const sent: Promise<unknown>[] = [];
  const names = Object.keys(PRODUCT_COLUMNS).join(', ');
  if (created.length > 0) {
    sent.push(
      sql.query(
        `INSERT INTO catalog_products (${names})
         SELECT sku, name, description, category, attributes::jsonb, images::jsonb, price_amount,
           price_currency, status, created_at, updated_at, version
         FROM ${recordset('$1', PRODUCT_COLUMNS)}
         ON CONFLICT (sku) DO NOTHING`,
        [JSON.stringify(created)],
      ),
    );
  }
  if (updated.length > 0) {
    sent.push(
      sql.query(
        `UPDATE catalog_products p SET name = r.name, description = r.description, category = r.category,
           attributes = r.attributes::jsonb, images = r.images::jsonb, price_amount = r.price_amount,
           price_currency = r.price_currency, status = r.status, updated_at = r.updated_at,
           version = r.version
         FROM ${recordset('$1', PRODUCT_COLUMNS)}
         WHERE p.sku = r.sku AND p.version < r.version`,
        [JSON.stringify(updated)],
      ),
    );
  }
  if (texts.length > 0) {
    const skus = JSON.stringify([...new Set(texts.map((text) => text.sku))]);
    sent.push(
      sql.query(`DELETE FROM catalog_search_terms WHERE sku = ANY(${textArray('$1')})`, [skus]),
      sql.query(
        `INSERT INTO catalog_search_terms (sku, term) ${searchTermsOf(`sku = ANY(${textArray('$1')})`)}`,
        [skus],
      ),
      sql.query(
        `INSERT INTO catalog_search_vocabulary (term)
         SELECT DISTINCT term FROM (${searchTermsFrom(
           `(SELECT sku, name, description, category, attributes::jsonb AS attributes
             FROM ${recordset('$1', {
               sku: 'text',
               name: 'text',
               description: 'text',
               category: 'text',
               attributes: 'text',
             })}) r`,
         )}) words
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(texts)],
      ),
    );
  }
  return Promise.all(sent);
}

/**
 * Sales and popularity for every `OrderPlaced` of the batch in one statement. The sales row per (order,
 * SKU) makes a replayed OrderPlaced count nothing: only rows this statement inserted add to the counter,
 * and within the batch the first event naming an (order, SKU) decides its units, as it would one event at
 * a time. Demand is what ranks, so a later cancellation does not subtract.
 */
function countSales(sql: SqlExecutor, events: readonly CatalogEvent[]): Promise<unknown> {
  const orders = events
    .filter((event) => event.type === 'OrderPlaced')
    .map((event, n) => {
      const { orderId, lines } = event.data as Partial<OrderPlaced['data']>;
      // Absent lines count nothing; lines that are not an array fail, as they always did.
      return { n, order_id: orderId, lines: lines === undefined ? [] : salesFields(lines) };
    });
  if (orders.length === 0) return Promise.resolve();
  return sql.query(
    `WITH placed AS (
       SELECT r.n, r.order_id, l.sku, sum(l.quantity)::bigint AS units
       FROM ${recordset('$1', { n: 'int', order_id: 'text', lines: 'jsonb' })}
       CROSS JOIN LATERAL jsonb_to_recordset(coalesce(r.lines, 'null'::jsonb)) AS l (sku text, quantity int)
       WHERE l.sku IS NOT NULL AND l.quantity > 0
       GROUP BY r.n, r.order_id, l.sku
     ),
     line AS (
       SELECT DISTINCT ON (order_id COLLATE "C", sku COLLATE "C") order_id, sku, units
       FROM placed ORDER BY order_id COLLATE "C", sku COLLATE "C", n
     ),
     counted AS (
       INSERT INTO catalog_product_sales (order_id, sku, units)
       SELECT order_id, sku, units FROM line
       ON CONFLICT (order_id, sku) DO NOTHING
       RETURNING sku, units
     )
     INSERT INTO catalog_popularity (sku, units_ordered)
     SELECT sku, sum(units)::bigint FROM counted GROUP BY sku
     ON CONFLICT (sku) DO UPDATE SET units_ordered = catalog_popularity.units_ordered + excluded.units_ordered`,
    [JSON.stringify(orders)],
  );
}

/**
 * Only what the sales statement reads of each order line (the line snapshots carry names, prices and
 * more: about two thirds of the JSON otherwise). Anything that is not a list of objects goes as it is, so
 * that PostgreSQL rejects it as it would have.
 */
function salesFields(lines: unknown): unknown {
  if (!Array.isArray(lines)) return lines;
  const isObject = (line: unknown): line is { sku?: unknown; quantity?: unknown } =>
    typeof line === 'object' && line !== null && !Array.isArray(line);
  if (!lines.every(isObject)) return lines;
  return lines.map(({ sku, quantity }) => ({ sku, quantity }));
}
