import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { MigrationSet, SqlClient } from '@tally/database';
import {
  eventStoreMigrations,
  registerEventStoreMetrics,
  type VisibilityLagSource,
} from '@tally/event-store';
import { createHttpApp, type Infrastructure, SQL_CLIENT } from '@tally/platform';
import { readModelMigrations } from '@tally/read-models';
import { CartHandler } from './cart/cart.handler';
import { CartsController } from './cart/carts.controller';
import { ProductHandler } from './catalog/product.handler';
import { ProductsController } from './catalog/products.controller';
import { commandApiOwnMigrations } from './command-api.migrations';
import { InventoryController } from './inventory/inventory.controller';
import { StockItemHandler } from './inventory/stock-item.handler';
import { CLOCK, systemClock } from './shared/clock';
import { CommandEdge } from './shared/command-edge';
import { CommandMetrics } from './shared/command-metrics';
import { DeciderCommandHandler } from './shared/decider-command.handler';
import { DocsController } from './shared/docs.controller';
import { IdempotencyStore } from './shared/idempotency.store';
import { acceptJsonBodiesOnly } from './shared/json-body';

/** Every table command-api writes or reads: the event store, the catalog read model, its idempotency keys. */
export const commandApiMigrations: MigrationSet[] = [
  eventStoreMigrations,
  readModelMigrations,
  commandApiOwnMigrations,
];

@Module({
  imports: [CqrsModule.forRoot()],
  controllers: [ProductsController, InventoryController, CartsController, DocsController],
  providers: [
    DeciderCommandHandler,
    CommandMetrics,
    CommandEdge,
    ProductHandler,
    StockItemHandler,
    CartHandler,
    { provide: CLOCK, useValue: systemClock },
    {
      provide: IdempotencyStore,
      useFactory: (sql: SqlClient) => new IdempotencyStore(sql),
      inject: [SQL_CLIENT],
    },
  ],
})
class CommandApiModule {}

/**
 * Builds command-api on the given infrastructure (its own in full mode, a shared PGlite one in embedded
 * mode). All state lives in the database or in the returned app; the caller listens.
 */
export async function createCommandApi(infrastructure: Infrastructure): Promise<NestFastifyApplication> {
  const app = await createHttpApp({
    name: 'command-api',
    infrastructure,
    imports: [CommandApiModule],
    registerMetrics: (registry) => {
      if (hasVisibilityLag(infrastructure.eventStore))
        registerEventStoreMetrics(registry, infrastructure.eventStore);
    },
  });
  acceptJsonBodiesOnly(app);
  return app;
}

function hasVisibilityLag(store: object): store is VisibilityLagSource {
  return typeof (store as Partial<VisibilityLagSource>).visibilityLag === 'function';
}
