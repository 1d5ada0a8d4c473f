import { randomUUID } from 'node:crypto';
import { migrate, quoteIdentifier } from '@tally/database';
import { cartStreamId } from '@tally/domain';
import { eventStoreMigrations, PostgresEventStore } from '@tally/event-store';
import { getCart, readModelMigrations } from '@tally/read-models';
import type { TestSchema, TestWarehouse } from '@tally/testing';
import { WAREHOUSE_VIEWS } from '@tally/warehouse';
import { cartWithTwoMugs } from '../../../../../libs/read-models/src/testing/cart.fixtures';
import { appendEvents } from '../../../../../libs/read-models/src/testing/read-models.harness';
import { createCliSchema, runTally, untilReadable, useCliWarehouse } from '../../../test/cli.harness';

jest.setTimeout(60_000);

describe('npm run tally -- projections', () => {
  let db: TestSchema;
  let cartId: string;
  let warehouse: TestWarehouse;
  let warehouseSchema: string;
  let analystRole: string;

  beforeEach(async () => {
    db = await createCliSchema('cli_projections');
    warehouse = useCliWarehouse(db);
    warehouseSchema = warehouse.settings.TALLY_WAREHOUSE_SCHEMA;
    analystRole = warehouse.settings.TALLY_ANALYST_DB_ROLE;
    await migrate(db.client, [eventStoreMigrations, readModelMigrations]);
    const store = new PostgresEventStore(db.client);
    cartId = randomUUID();
    const checkpoint = await appendEvents(store, cartStreamId(cartId), cartWithTwoMugs(cartId));
    // A rebuild replays the gap-safe log only.
    await untilReadable(store, checkpoint);
    await store.close();
  });

  afterEach(async () => {
    await warehouse.drop();
    await db.drop();
  });

  it('rebuilds, verifies, lists and shows projections, and names an unknown one', async () => {
    const rebuilt = await runTally('projections', 'rebuild', 'carts');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/^carts rebuilt and switched: 2 events/);
    expect(rebuilt.stderr).toMatch(/rebuild carts .*events\/s/);
    expect(await getCart(db.client, cartId)).toMatchObject({ lines: [{ sku: 'MUG', quantity: 2 }] });

    const healthy = await runTally('projections', 'verify', 'carts');
    expect(healthy.code).toBe(0);
    expect(healthy.stdout).toContain('identical to a rebuild from the events');

    await db.client.query('UPDATE carts SET total_amount = 1 WHERE cart_id = $1', [cartId]);
    const differs = await runTally('projections', 'verify', 'carts');
    expect(differs.code).toBe(1);
    expect(differs.stdout).toContain('DIFFERS');
    expect(differs.stdout).toMatch(
      new RegExp(`carts: in the live table, not in a rebuild: .*${cartId}.*"total_amount":"1"`),
    );

    const listed = await runTally('projections', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^carts\s+2\s+0\s+\S+\s+switched\s+\S+$/m);
    expect(listed.stdout).toMatch(/^catalog\s+0\s+0\s+\S+\s+-\s+/m);

    const shown = await runTally('projections', 'status', 'carts');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/rebuild:\s+switched, 2 of ~2 events/);

    for (const argv of [
      ['projections', 'rebuild', 'nope'],
      ['projections', 'verify', 'nope'],
      ['projections', 'status', 'nope'],
    ]) {
      const unknown = await runTally(...argv);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain(
        "unknown projection 'nope': one of catalog, stock, carts, orders, customers, warehouse",
      );
    }
    expect((await runTally('projections', 'rebuild')).code).toBe(2);
  });

  it('rebuilds the warehouse in its own schema, views and analyst access included, and verifies it', async () => {
    const rebuilt = await runTally('projections', 'rebuild', 'warehouse');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/^warehouse rebuilt and switched: 2 events/);
    expect(rebuilt.stderr).toMatch(/rebuild warehouse .*events\/s/);

    const warehouse = db.connect(1);
    const inWarehouse = <Row>(sql: string, params: unknown[] = []) =>
      warehouse.transaction(async (tx) => {
        await tx.query(`SET LOCAL search_path TO ${quoteIdentifier(warehouseSchema)}`);
        return (await tx.query<Row>(sql, params)).rows;
      });
    expect(
      await inWarehouse<{ activity: string }>(
        'SELECT activity FROM fact_cart_activity WHERE cart_id = $1 ORDER BY occurred_at, activity',
        [cartId],
      ),
    ).toEqual([{ activity: 'add' }, { activity: 'open' }]);
    // The read models' schema got none of it.
    const { rows } = await db.client.query(
      `SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'fact_cart_activity'`,
      [db.schema],
    );
    expect(rows).toEqual([]);
    // The metric views were re-created over the switched tables, and the analysts can read them.
    const views = await inWarehouse<{ viewname: string }>(
      'SELECT viewname FROM pg_views WHERE schemaname = $1 ORDER BY viewname',
      [warehouseSchema],
    );
    expect(views.map((view) => view.viewname)).toEqual([...WAREHOUSE_VIEWS].sort());
    const asAnalyst = await warehouse.transaction(async (tx) => {
      await tx.query(`SET LOCAL search_path TO ${quoteIdentifier(warehouseSchema)}`);
      await tx.query(`SET LOCAL ROLE ${quoteIdentifier(analystRole)}`);
      const funnel = await tx.query('SELECT * FROM metric_funnel_daily');
      const facts = await tx.query('SELECT * FROM fact_cart_activity');
      return { funnel: funnel.rowCount, facts: facts.rowCount };
    });
    expect(asAnalyst).toEqual({ funnel: 1, facts: 2 });

    const verified = await runTally('projections', 'verify', 'warehouse');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('warehouse at');
    expect(verified.stdout).toContain('identical to a rebuild from the events');

    const listed = await runTally('projections', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^warehouse\s+2\s+0\s+\S+\s+switched\s+\S+$/m);
    const shown = await runTally('projections', 'status', 'warehouse');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^warehouse\n/);
    expect(shown.stdout).toMatch(/rebuild:\s+switched, 2 /);
  });
});
