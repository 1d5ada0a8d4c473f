import type { SqlExecutor } from '@tally/database';
import {
  PRODUCT_EVENT_TYPES,
  type ProductCreated,
  type ProductDetailsChanged,
  type ProductEvent,
  type ProductPriceChanged,
} from '@tally/domain';
import type { RecordedEvent } from '@tally/event-store';
import { recordset } from '@tally/read-models';
import {
  addCategoryRevenueSql,
  allocationSql,
  dropEmptyCategories,
  NET_PAYMENT_SQL,
} from '../aggregates/warehouse-aggregates';
import { businessInstant } from './warehouse-time';

const PRODUCT_TYPES = new Set<string>(PRODUCT_EVENT_TYPES);
/** The events that may open a version, so whose id may already be a `product_key`. */
const OPENING_TYPES = new Set<string>(['ProductCreated', 'ProductPriceChanged', 'ProductDetailsChanged']);

type ProductStatus = 'draft' | 'published' | 'unpublished' | 'discontinued';

/** What a product is now, in stream order: the newest version's attributes. */
export interface ProductState {
  version: number;
  name: string;
  category: string;
  priceAmount: number;
  currency: string;
  status: ProductStatus;
}

/** A `dim_product` row opened by this batch. */
export interface NewVersion {
  readonly product_key: string;
  readonly sku: string;
  readonly version: number;
  readonly name: string;
  readonly category: string;
  readonly price_amount: number;
  readonly currency: string;
  readonly status: ProductStatus;
  readonly valid_from: string;
}

const STATUS_AFTER: Partial<Record<ProductEvent['type'], ProductStatus>> = {
  ProductPublished: 'published',
  ProductUnpublished: 'unpublished',
  ProductDiscontinued: 'discontinued',
};

/** What the batch needs to know of `dim_product` before folding its product events. */
export interface ProductsLoaded {
  readonly events: readonly RecordedEvent[];
  /** Each SKU's newest version. */
  readonly states: Map<string, ProductState>;
  /** The ids of the batch's events that already opened a version: a replay must not open them twice. */
  readonly opened: ReadonlySet<string>;
}

/** The versions a batch opens, and the type 1 attributes of every SKU it touched. */
export interface ProductsFolded {
  readonly versions: readonly NewVersion[];
  readonly states: ReadonlyMap<string, ProductState>;
}

/**
 * Loads the newest version of every SKU of the batch, and which of its events already opened a version
 * (two queries, sent at once).
 */
export async function loadProducts(
  sql: SqlExecutor,
  events: readonly RecordedEvent[],
): Promise<ProductsLoaded> {
  const productEvents = events.filter((event) => PRODUCT_TYPES.has(event.type));
  if (productEvents.length === 0) return { events: [], states: new Map(), opened: new Set() };
  const skus = [...new Set(productEvents.map((event) => (event.data as { sku: string }).sku))];
  const [states, opened] = await Promise.all([
    loadProductStates(sql, skus),
    existingKeys(sql, productEvents),
  ]);
  return { events: productEvents, states, opened };
}

/**
 * `dim_product`, slowly changing (type 2): a price change, or a details change that moves the product to
 * another category, opens a new version valid from the event's business time. Name and status are type
 * 1: every version of the SKU shows the latest. Events for a product never created are ignored.
 */
export function foldProducts(loaded: ProductsLoaded): ProductsFolded {
  const versions: NewVersion[] = [];
  for (const event of loaded.events) {
    const version = foldProductEvent(loaded.states, event, loaded.opened);
    if (version) versions.push(version);
  }
  return { versions, states: loaded.states };
}

/**
 * Writes the folded versions, then re-chains the versions of each SKU that got one by `valid_from`
 * (`valid_to` = the next one's `valid_from`, the last one `is_current`), so that a late price change
 * slots in where it belongs. The statements are sent in order without waiting for each.
 */
export function sendProducts(sql: SqlExecutor, folded: ProductsFolded): Promise<unknown> {
  const sent: Promise<unknown>[] = [insertVersions(sql, folded.versions), applyTypeOne(sql, folded.states)];
  if (folded.versions.length > 0)
    sent.push(chainVersions(sql, [...new Set(folded.versions.map((version) => version.sku))]));
  return Promise.all(sent);
}

/**
 * The SQL for the `dim_product` key valid for `sku` at `at`: the version with the latest `valid_from` not
 * after `at`; for a time before the first version (a clock that ran behind), the first version.
 */
export function productKeyAt(sku: string, at: string): string {
  return `coalesce(
    (SELECT p.product_key FROM dim_product p WHERE p.sku = ${sku} AND p.valid_from <= ${at}
      ORDER BY p.valid_from DESC, p.version DESC LIMIT 1),
    (SELECT p.product_key FROM dim_product p WHERE p.sku = ${sku} ORDER BY p.valid_from, p.version LIMIT 1))`;
}

function loadProductStates(tx: SqlExecutor, skus: readonly string[]): Promise<Map<string, ProductState>> {
  const loaded = tx.query<{
    sku: string;
    version: number;
    name: string;
    category: string;
    price_amount: string;
    currency: string;
    status: ProductStatus;
  }>(
    `SELECT DISTINCT ON (sku) sku, version, name, category, price_amount::text, currency, status
     FROM dim_product WHERE sku = ANY($1::text[]) ORDER BY sku, version DESC`,
    [skus],
  );
  return loaded.then(
    ({ rows }) =>
      new Map(
        rows.map((row) => [
          row.sku,
          {
            version: row.version,
            name: row.name,
            category: row.category,
            priceAmount: Number(row.price_amount),
            currency: row.currency,
            status: row.status,
          },
        ]),
      ),
  );
}

function existingKeys(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<Set<string>> {
  const ids = events.filter((event) => OPENING_TYPES.has(event.type)).map((event) => event.eventId);
  return tx
    .query<{ product_key: string }>(
      'SELECT product_key::text FROM dim_product WHERE product_key = ANY($1::uuid[])',
      [ids],
    )
    .then(({ rows }) => new Set(rows.map((row) => row.product_key)));
}

/**
 * Applies one event to the SKU's state; returns the version it opens, if it opens one. Events for an
 * unknown product, and events dated outside the warehouse calendar, are ignored.
 */
function foldProductEvent(
  states: Map<string, ProductState>,
  event: RecordedEvent,
  opened: ReadonlySet<string>,
): NewVersion | null {
  const { sku } = event.data as { sku: string };
  const state = states.get(sku);
  const at = businessInstant(event);
  const alreadyOpened = opened.has(event.eventId);
  switch (event.type) {
    case 'ProductCreated': {
      const data = event.data as unknown as ProductCreated['data'];
      if (state || alreadyOpened || !at) return null;
      const created: ProductState = {
        version: 1,
        name: data.name,
        category: data.category,
        priceAmount: data.price.amount,
        currency: data.price.currency,
        status: 'draft',
      };
      states.set(sku, created);
      return versionRow(event.eventId, sku, created, at);
    }
    case 'ProductPriceChanged': {
      const { price } = event.data as unknown as ProductPriceChanged['data'];
      if (!state || alreadyOpened || !at) return null;
      return openVersion(states, event.eventId, sku, { ...state, priceAmount: price.amount }, at);
    }
    case 'ProductDetailsChanged': {
      const { name, category } = event.data as unknown as ProductDetailsChanged['data'];
      if (!state) return null;
      if (typeof name === 'string') state.name = name;
      if (typeof category !== 'string' || category === state.category || alreadyOpened || !at) return null;
      return openVersion(states, event.eventId, sku, { ...state, category }, at);
    }
    default: {
      const status = STATUS_AFTER[event.type as ProductEvent['type']];
      if (state && status) state.status = status;
      return null;
    }
  }
}

function openVersion(
  states: Map<string, ProductState>,
  eventId: string,
  sku: string,
  next: ProductState,
  at: string,
): NewVersion {
  const state = { ...next, version: next.version + 1 };
  states.set(sku, state);
  return versionRow(eventId, sku, state, at);
}

function versionRow(eventId: string, sku: string, state: ProductState, at: string): NewVersion {
  return {
    product_key: eventId,
    sku,
    version: state.version,
    name: state.name,
    category: state.category,
    price_amount: state.priceAmount,
    currency: state.currency,
    status: state.status,
    valid_from: at,
  };
}

function insertVersions(tx: SqlExecutor, versions: readonly NewVersion[]): Promise<unknown> {
  if (versions.length === 0) return Promise.resolve();
  return tx.query(
    `INSERT INTO dim_product (product_key, sku, version, name, category, price_amount, currency, status,
       valid_from, valid_to, is_current)
     SELECT product_key, sku, version, name, category, price_amount, currency, status, valid_from, NULL, false
     FROM ${recordset('$1', {
       product_key: 'uuid',
       sku: 'text',
       version: 'int',
       name: 'text',
       category: 'text',
       price_amount: 'bigint',
       currency: 'text',
       status: 'text',
       valid_from: 'timestamptz',
     })}
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(versions)],
  );
}

/** Type 1 attributes: every version of a SKU takes its latest name and status. */
function applyTypeOne(tx: SqlExecutor, states: ReadonlyMap<string, ProductState>): Promise<unknown> {
  if (states.size === 0) return Promise.resolve();
  const rows = [...states].map(([sku, state]) => ({ sku, name: state.name, status: state.status }));
  return tx.query(
    `UPDATE dim_product d SET name = r.name, status = r.status
     FROM ${recordset('$1', { sku: 'text', name: 'text', status: 'text' })}
     WHERE d.sku = r.sku AND (d.name, d.status) IS DISTINCT FROM (r.name, r.status)`,
    [JSON.stringify(rows)],
  );
}

/** Re-chains the versions of `skus` by `valid_from` (ties by version), touching only rows that change. */
function chainVersions(tx: SqlExecutor, skus: readonly string[]): Promise<unknown> {
  return tx.query(
    `UPDATE dim_product d SET valid_to = w.next_from, is_current = w.next_from IS NULL
     FROM (
       SELECT product_key, lead(valid_from) OVER (PARTITION BY sku ORDER BY valid_from, version) AS next_from,
         lead(product_key) OVER (PARTITION BY sku ORDER BY valid_from, version) IS NULL AS last
       FROM dim_product WHERE sku = ANY($1::text[])
     ) w
     WHERE d.product_key = w.product_key
       AND (d.valid_to IS DISTINCT FROM w.next_from OR d.is_current IS DISTINCT FROM w.last)`,
    [skus],
  );
}

/**
 * Points the order lines of SKUs that got versions in this batch to the version valid when they were
 * placed (send it after the batch's versions and order lines). Only lines that can have moved are looked
 * at: those placed at or after the earliest version opened here, and those placed before the SKU's first
 * version (they take the first version). A moved line of an order with payments moves its share of the
 * order's revenue from its old category to its new one.
 */
export function repointOrderLines(tx: SqlExecutor, { versions }: ProductsFolded): Promise<unknown> {
  if (versions.length === 0) return Promise.resolve();
  const earliestOpened = new Map<string, string>();
  for (const { sku, valid_from } of versions) {
    const known = earliestOpened.get(sku);
    if (known === undefined || Date.parse(valid_from) < Date.parse(known))
      earliestOpened.set(sku, valid_from);
  }
  const touched = [...earliestOpened].map(([sku, opened_from]) => ({ sku, opened_from }));
  return tx
    .query<{ emptied: number }>(
      `WITH touched AS (
       SELECT r.sku, r.opened_from, (SELECT min(p.valid_from) FROM dim_product p WHERE p.sku = r.sku) AS first_from
       FROM ${recordset('$1', { sku: 'text', opened_from: 'timestamptz' })}
     ),
     moved AS (
       SELECT f.order_id, f.line_no, ${productKeyAt('f.sku', 'f.placed_at')} AS product_key
       FROM touched t
       CROSS JOIN LATERAL (
         SELECT order_id, line_no, sku, placed_at FROM fact_order_line
         WHERE sku = t.sku AND placed_at >= t.opened_from
         UNION ALL
         SELECT order_id, line_no, sku, placed_at FROM fact_order_line
         WHERE sku = t.sku AND placed_at < t.first_from
       ) f
     ),
     repointed AS (
       UPDATE fact_order_line f SET product_key = m.product_key
       FROM moved m
       WHERE f.order_id = m.order_id AND f.line_no = m.line_no AND f.product_key IS DISTINCT FROM m.product_key
       RETURNING f.order_id, f.line_no, f.product_key
     ),
     nets AS (
       SELECT p.date_key, p.currency, p.order_id, sum(${NET_PAYMENT_SQL}) AS net
       FROM fact_payment p
       WHERE p.order_id IN (SELECT order_id FROM repointed) AND p.kind IN ('captured', 'refunded')
       GROUP BY p.date_key, p.currency, p.order_id
     ),
     -- The lines of those orders as they were (this statement's snapshot) and as they are now.
     lines AS (
       SELECT l.order_id, l.line_no, l.line_total, l.product_key AS old_key,
         CASE WHEN r.order_id IS NULL THEN l.product_key ELSE r.product_key END AS new_key
       FROM fact_order_line l
       LEFT JOIN repointed r ON r.order_id = l.order_id AND r.line_no = l.line_no
       WHERE l.order_id IN (SELECT order_id FROM nets)
     ),
     moved_revenue AS (
       ${addCategoryRevenueSql(
         `${allocationSql(
           '(SELECT *, 1 AS sign FROM nets)',
           `(SELECT l.order_id, l.line_no, l.line_total, dp.category
             FROM lines l LEFT JOIN dim_product dp ON dp.product_key = l.new_key)`,
         )}
          UNION ALL
          ${allocationSql(
            '(SELECT *, -1 AS sign FROM nets)',
            `(SELECT l.order_id, l.line_no, l.line_total, dp.category
              FROM lines l LEFT JOIN dim_product dp ON dp.product_key = l.old_key)`,
          )}`,
       )}
     )
     SELECT count(*) FILTER (WHERE allocations = 0)::int AS emptied FROM moved_revenue`,
      [JSON.stringify(touched)],
    )
    .then(({ rows }) => dropEmptyCategories(tx, rows[0]?.emptied ?? 0));
}
