import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auditMigrations } from '@tally/audit';
import type { MigrationSet } from '@tally/database';
import { createHttpApp, type Infrastructure } from '@tally/platform';
import { readModelMigrations } from '@tally/read-models';
import { AuditController } from './audit/audit.controller';
import { AuditLog } from './audit/audit-log';
import { CartsController } from './carts/carts.controller';
import { CategoriesController } from './categories/categories.controller';
import { ConsistencyGate } from './consistency/consistency-gate';
import { CustomersController } from './customers/customers.controller';
import { InventoryController } from './inventory/inventory.controller';
import { DocsController } from './openapi/docs.controller';
import { OrdersController } from './orders/orders.controller';
import { ProductsController } from './products/products.controller';
import { ZeroResultSearches } from './products/zero-result-searches';
import { ShippingMethodsController } from './shipping/shipping-methods.controller';
import { StreamsController } from './streams/streams.controller';
import { WarehouseModule } from './warehouse/warehouse.module';

/**
 * query-api reads the read-model tables and the audit tables (integrity status), so it makes sure they
 * exist (the migrator is idempotent).
 */
export const queryApiMigrations: readonly MigrationSet[] = [readModelMigrations, auditMigrations];

@Module({
  imports: [WarehouseModule],
  controllers: [
    ProductsController,
    CategoriesController,
    CartsController,
    InventoryController,
    OrdersController,
    CustomersController,
    ShippingMethodsController,
    StreamsController,
    AuditController,
    DocsController,
  ],
  providers: [ConsistencyGate, ZeroResultSearches, AuditLog],
})
class QueryApiModule {}

/**
 * The read side over HTTP (DESIGN.md §6): read models only, plus stream history from the event store and,
 * for analysts, the warehouse's metric views (opened by {@link WarehouseModule}).
 */
export function createQueryApi(infrastructure: Infrastructure): Promise<NestFastifyApplication> {
  return createHttpApp({ name: 'query-api', infrastructure, imports: [QueryApiModule] });
}
