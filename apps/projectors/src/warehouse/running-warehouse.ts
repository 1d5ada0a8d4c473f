import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Infrastructure } from '@tally/platform';
import type { Projection } from '@tally/read-models';
import { openWarehouse, type WarehouseHandle, warehouseProjectionFor } from '@tally/warehouse';
import type { ProjectionGroup } from '../running-projections';
import { AbandonedCartSweeper } from './abandoned-cart-sweeper';

/**
 * The analysts' warehouse as the projectors keep it (docs/warehouse.md): its own client (migrated at
 * open), the warehouse projection, run by a runner of its own over that client, and the sweeper that
 * records abandoned carts every minute.
 */
export class RunningWarehouse {
  readonly sweeper: AbandonedCartSweeper;

  private constructor(
    readonly handle: WarehouseHandle,
    readonly projection: Projection,
    infrastructure: Infrastructure,
  ) {
    this.sweeper = new AbandonedCartSweeper({
      sql: handle.sql,
      store: infrastructure.eventStore,
      projection,
      idleMinutes: infrastructure.config.TALLY_WAREHOUSE_CART_IDLE_MINUTES,
      intervalMs: infrastructure.config.TALLY_WAREHOUSE_SWEEP_SECONDS * 1000,
      logger: infrastructure.logger.child({ component: 'warehouse' }),
    });
  }

  static async open(infrastructure: Infrastructure): Promise<RunningWarehouse> {
    const { config, sql, logger, authSecret } = infrastructure;
    const handle = await openWarehouse(config, sql, logger.child({ component: 'warehouse' }));
    return new RunningWarehouse(handle, warehouseProjectionFor(config, authSecret), infrastructure);
  }

  /** The projections to run over the warehouse's client. */
  get group(): ProjectionGroup {
    return { sql: this.handle.sql, projections: [this.projection] };
  }
}

/**
 * Sweeps while the app runs; closes the warehouse's connections once the app has stopped everything that
 * uses them (the runners and rebuilds stop before application shutdown).
 */
@Injectable()
export class WarehouseLifecycle
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(@Inject(RunningWarehouse) private readonly warehouse: RunningWarehouse) {}

  onApplicationBootstrap(): void {
    this.warehouse.sweeper.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.warehouse.sweeper.stop();
  }

  onApplicationShutdown(): Promise<void> {
    return this.warehouse.handle.close();
  }
}
