import type { SqlExecutor } from '@tally/database';
import type { OrderPlaced, ProductEvent } from '@tally/domain';
import { defineProjection, occurredAt, type ProjectedEvent, type ProjectionHandlers } from '../projection';
import { searchTermsOf, catalogStorage } from './catalog.schema';

type ProductStatus = 'draft' | 'published' | 'unpublished' | 'discontinued';

const catalogHandlers: ProjectionHandlers<ProductEvent | OrderPlaced> = {
  async ProductCreated(tx, event) {
    const { sku, name, description, category, attributes, images, price } = event.data;
    const at = occurredAt(event);
    await tx.query(
      `INSERT INTO catalog_products (sku, name, description, category, attributes, images,
         price_amount, price_currency, status, created_at, updated_at, version)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, 'draft', $9, $9, $10)
       ON CONFLICT (sku) DO NOTHING`,
      [
        sku,
        name,
        description,
        category,
        JSON.stringify(attributes),
        JSON.stringify(images),
        price.amount,
        price.currency,
        at,
        event.version,
      ],
    );
    await refreshTerms(tx, sku);
  },
  async ProductPriceChanged(tx, event) {
    await update(tx, event, 'price_amount = $4, price_currency = $5', [
      event.data.price.amount,
      event.data.price.currency,
    ]);
  },
  async ProductDetailsChanged(tx, event) {
    // Only the changed fields are present; absent ones keep their value.
    const { name, description, category, attributes, images } = event.data;
    await update(
      tx,
      event,
      `name = coalesce($4, name), description = coalesce($5, description),
       category = coalesce($6, category), attributes = coalesce($7::jsonb, attributes),
       images = coalesce($8::jsonb, images)`,
      [
        name ?? null,
        description ?? null,
        category ?? null,
        attributes === undefined ? null : JSON.stringify(attributes),
        images === undefined ? null : JSON.stringify(images),
      ],
    );
    await refreshTerms(tx, event.data.sku);
  },
  ProductPublished: (tx, event) => setStatus(tx, event, 'published'),
  ProductUnpublished: (tx, event) => setStatus(tx, event, 'unpublished'),
  ProductDiscontinued: (tx, event) => setStatus(tx, event, 'discontinued'),
  async OrderPlaced(tx, event) {
    // The sales row per (order, SKU) makes a replayed OrderPlaced count nothing: only rows this statement
    // inserted add to the counter. Demand is what ranks, so a later cancellation does not subtract.
    await tx.query(
      `WITH line AS (
         SELECT l.sku, sum(l.quantity)::bigint AS units
         FROM jsonb_to_recordset($2::jsonb) AS l (sku text, quantity int)
         WHERE l.sku IS NOT NULL AND l.quantity > 0
         GROUP BY l.sku
       ),
       counted AS (
         INSERT INTO catalog_product_sales (order_id, sku, units)
         SELECT $1, sku, units FROM line
         ON CONFLICT (order_id, sku) DO NOTHING
         RETURNING sku, units
       )
       INSERT INTO catalog_popularity (sku, units_ordered)
       SELECT sku, units FROM counted
       ON CONFLICT (sku) DO UPDATE SET units_ordered = catalog_popularity.units_ordered + excluded.units_ordered`,
      [event.data.orderId, JSON.stringify(event.data.lines)],
    );
  },
};

/**
 * Products for listing, search and detail pages. Each update is guarded by the stream version, so a
 * replayed event is a no-op, and events for a product never created are ignored.
 *
 * It also keeps what search ranks and corrects with (ADR 0010): the lexemes of each product, and its
 * popularity, the units ordered per SKU, counted once per order from `OrderPlaced`.
 */
export const catalogProjection = defineProjection<ProductEvent | OrderPlaced>('catalog', catalogHandlers, {
  storage: catalogStorage,
});

/** Re-derives the words typo correction matches query words against, after the product's text changed. */
async function refreshTerms(tx: SqlExecutor, sku: string): Promise<void> {
  await tx.query('DELETE FROM catalog_search_terms WHERE sku = $1', [sku]);
  await tx.query(`INSERT INTO catalog_search_terms (sku, term) ${searchTermsOf('sku = $1')}`, [sku]);
  await tx.query(
    `INSERT INTO catalog_search_vocabulary (term)
     SELECT term FROM catalog_search_terms WHERE sku = $1
     ON CONFLICT DO NOTHING`,
    [sku],
  );
}

function setStatus(tx: SqlExecutor, event: ProjectedEvent<ProductEvent>, status: ProductStatus) {
  return update(tx, event, 'status = $4', [status]);
}

/** Applies `assignments` (parameters from `$4`) plus the new version, unless the event was applied already. */
async function update(
  tx: SqlExecutor,
  event: ProjectedEvent<ProductEvent>,
  assignments: string,
  params: readonly unknown[],
): Promise<void> {
  await tx.query(
    `UPDATE catalog_products SET ${assignments}, version = $2, updated_at = $3
     WHERE sku = $1 AND version < $2`,
    [event.data.sku, event.version, occurredAt(event), ...params],
  );
}
