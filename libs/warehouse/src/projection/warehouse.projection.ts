import { PRODUCT_EVENT_TYPES } from '@tally/domain';
import { StatementPipeline, type Projection, type ProjectionStorage } from '@tally/read-models';
import { WAREHOUSE_TABLES, warehouseTableMigrations } from '../warehouse.schema';
import { CART_EVENT_TYPES, foldCarts, loadCarts, sendCarts } from './carts';
import { FACT_EVENT_TYPES, insertOrderLines, insertPayments, mapFacts, sendFacts } from './facts';
import { foldProducts, loadProducts, repointOrderLines, sendProducts } from './products';
import { pseudonymizer } from './pseudonym';

/** The name of the warehouse projection: its checkpoint key and metric label. */
export const WAREHOUSE_PROJECTION = 'warehouse';

export interface WarehouseProjectionOptions {
  /** The HMAC key of customer pseudonyms (see {@link pseudonymizeCustomer}). */
  readonly pseudonymKey: string;
  /** How long a cart with units stays untouched before it counts as abandoned. */
  readonly cartIdleMinutes: number;
  /** The metric views, re-created after a blue/green rebuild switches the tables. */
  readonly afterSwitch?: ProjectionStorage['afterSwitch'];
}

/**
 * The analysts' star schema (docs/warehouse.md), kept current from the event log.
 *
 * Set-based: `apply` folds the whole batch in memory and writes each table with a few statements,
 * whatever the batch size, so a rebuild replays the log at tens of thousands of events a second. The
 * statements run in the order they are sent, without waiting for each, so PostgreSQL inserts while
 * JavaScript folds; product versions go before the order lines, which point to the version valid when
 * they were placed, and a late version re-points the lines placed after it. Every row is keyed by the
 * event it comes from, so replaying events changes nothing, and the tables come out the same however the
 * log was cut into batches. The statement that writes a fact also adds the rows it actually wrote to the
 * aggregates the metric views read (aggregates/warehouse-aggregates.ts), in the same transaction.
 */
export function createWarehouseProjection(options: WarehouseProjectionOptions): Projection {
  const pseudonymize = pseudonymizer(options.pseudonymKey);
  const storage: ProjectionStorage = {
    tables: WAREHOUSE_TABLES,
    migrations: warehouseTableMigrations,
    ...(options.afterSwitch ? { afterSwitch: options.afterSwitch } : {}),
  };
  return {
    name: WAREHOUSE_PROJECTION,
    eventTypes: [...PRODUCT_EVENT_TYPES, ...FACT_EVENT_TYPES, ...CART_EVENT_TYPES],
    storage,
    async apply(tx, events) {
      const sql = new StatementPipeline(tx);
      try {
        // A JSON parameter counts as 100 rows to the planner, so these statements' cost estimates pass
        // jit_above_cost and each would spend 200–300 ms compiling what runs in a few milliseconds
        // (docs/benchmarks/warehouse.md). For this transaction only.
        const jitOff = sql.query('SET LOCAL jit = off');
        // Reads first; the facts that need no state go out while the rest is folded.
        const products = loadProducts(sql, events);
        const carts = loadCarts(sql, events);
        const facts = mapFacts(events, pseudonymize);
        const writes = [jitOff, sendFacts(sql, facts)];
        const versions = foldProducts(await products);
        // Payments after the order lines, so that an order placed and paid in one batch is spread over
        // its categories once (not first as `uncategorized`).
        writes.push(
          sendProducts(sql, versions),
          insertOrderLines(sql, facts),
          repointOrderLines(sql, versions),
          insertPayments(sql, facts),
        );
        const cartFold = foldCarts(await carts, { idleMinutes: options.cartIdleMinutes, pseudonymize });
        writes.push(sendCarts(sql, cartFold));
        await Promise.all(writes);
      } finally {
        await sql.settled();
      }
    },
  };
}
