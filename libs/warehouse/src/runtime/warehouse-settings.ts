import { createHmac } from 'node:crypto';
import type { AppConfig } from '@tally/platform';
import type { Projection } from '@tally/read-models';
import { createWarehouseProjection } from '../projection/warehouse.projection';
import { createWarehouseViews, WAREHOUSE_VIEWS } from '../views/warehouse.views';
import { grantAnalystRead } from './analyst-role';

// Versioned, so that a different derivation can ever be introduced without colliding with this one.
const PSEUDONYM_KEY_LABEL = 'tally/warehouse/customer-pseudonym-key/v1';

/**
 * The key of customer pseudonyms: TALLY_WAREHOUSE_PSEUDONYM_KEY, else derived from the auth secret (an HMAC
 * of a fixed label), so that it stays the same across restarts and every process derives the same one,
 * while the auth secret itself never becomes a key of something else.
 */
export function warehousePseudonymKey(config: AppConfig, authSecret: string): string {
  return (
    config.TALLY_WAREHOUSE_PSEUDONYM_KEY ??
    createHmac('sha256', authSecret).update(PSEUDONYM_KEY_LABEL).digest('hex')
  );
}

/**
 * The warehouse projection as Tally runs it: pseudonym key and cart idle time from the settings, and after
 * a blue/green rebuild switches the tables, the metric views re-created over the new tables and every table
 * and view readable by the analyst role again.
 */
export function warehouseProjectionFor(config: AppConfig, authSecret: string): Projection {
  const role = config.TALLY_ANALYST_DB_ROLE;
  return createWarehouseProjection({
    pseudonymKey: warehousePseudonymKey(config, authSecret),
    cartIdleMinutes: config.TALLY_WAREHOUSE_CART_IDLE_MINUTES,
    afterSwitch: {
      dropViews: WAREHOUSE_VIEWS,
      async recreate(tx) {
        await createWarehouseViews(tx);
        await grantAnalystRead(tx, role);
      },
    },
  });
}
