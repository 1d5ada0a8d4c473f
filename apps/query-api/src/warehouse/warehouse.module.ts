import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import { type AppConfig, APP_CONFIG, LOGGER, type Logger, SQL_CLIENT } from '@tally/platform';
import { openWarehouse, WAREHOUSE_SQL, type WarehouseHandle } from '@tally/warehouse';
import { WarehouseMetricsController } from './warehouse-metrics.controller';

const WAREHOUSE_HANDLE = Symbol('WAREHOUSE_HANDLE');

/** Closes the warehouse's own connections when the app closes. */
@Injectable()
class WarehouseShutdown implements OnApplicationShutdown {
  constructor(@Inject(WAREHOUSE_HANDLE) private readonly warehouse: WarehouseHandle) {}

  onApplicationShutdown(): Promise<void> {
    return this.warehouse.close();
  }
}

/**
 * The metric endpoints and the warehouse they read: opened at start from the settings (WAREHOUSE_URL,
 * TALLY_WAREHOUSE_SCHEMA), migrated like every other store query-api reads, closed at shutdown.
 */
@Module({
  controllers: [WarehouseMetricsController],
  providers: [
    {
      provide: WAREHOUSE_HANDLE,
      useFactory: (config: AppConfig, sql: SqlClient, logger: Logger) => openWarehouse(config, sql, logger),
      inject: [APP_CONFIG, SQL_CLIENT, LOGGER],
    },
    {
      provide: WAREHOUSE_SQL,
      useFactory: (warehouse: WarehouseHandle) => warehouse.sql,
      inject: [WAREHOUSE_HANDLE],
    },
    WarehouseShutdown,
  ],
})
export class WarehouseModule {}
