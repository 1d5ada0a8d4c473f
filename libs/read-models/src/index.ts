import { cartsProjection } from './carts/carts.projection';
import { catalogProjection } from './catalog/catalog.projection';
import { customersProjection } from './customers/customers.projection';
import { ordersProjection } from './orders/orders.projection';
import type { Projection } from './projection';
import { stockProjection } from './stock/stock.projection';

export * from './projection';
export * from './batch';
export * from './projection-runner';
export * from './consistency';
export { projectionRunnerMigrations, readModelMigrations } from './read-models.migrations';
export {
  copySchemaName,
  ProjectionNotRebuildableError,
  RebuildInProgressError,
} from './rebuild/read-model-copy';
export * from './rebuild/rebuild-projection';
export * from './rebuild/verify-projection';

export { catalogProjection } from './catalog/catalog.projection';
export * from './catalog/catalog.queries';
export { stockProjection } from './stock/stock.projection';
export * from './stock/stock.queries';
export { cartsProjection } from './carts/carts.projection';
export * from './carts/carts.queries';
export { ordersProjection } from './orders/orders.projection';
export * from './orders/orders.queries';
export { customersProjection } from './customers/customers.projection';
export * from './customers/customers.queries';

/**
 * Every read model Tally keeps in PostgreSQL, for the projectors app
 * (names: catalog, stock, carts, orders, customers).
 */
export const allProjections: readonly Projection[] = [
  catalogProjection,
  stockProjection,
  cartsProjection,
  ordersProjection,
  customersProjection,
];
