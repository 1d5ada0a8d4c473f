export { createWarehouseProjection, WAREHOUSE_PROJECTION } from './warehouse.projection';
export type { WarehouseProjectionOptions } from './warehouse.projection';
export { pseudonymizeCustomer } from './pseudonym';
export { sweepAbandonedCarts } from './carts';
export { warehouseDigest } from './warehouse-digest';
