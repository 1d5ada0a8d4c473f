import { randomUUID } from 'node:crypto';
import { migrate } from '@tally/database';
import { cartStreamId } from '@tally/domain';
import { eventStoreMigrations, PostgresEventStore } from '@tally/event-store';
import { getCart, readModelMigrations } from '@tally/read-models';
import type { TestSchema } from '@tally/testing';
import { cartWithTwoMugs } from '../../../../../libs/read-models/src/testing/cart.fixtures';
import { appendEvents } from '../../../../../libs/read-models/src/testing/read-models.harness';
import { createCliSchema, runTally, untilReadable } from '../../../test/cli.harness';

jest.setTimeout(60_000);

describe('npm run tally -- projections', () => {
  let db: TestSchema;
  let cartId: string;

  beforeEach(async () => {
    db = await createCliSchema('cli_projections');
    await migrate(db.client, [eventStoreMigrations, readModelMigrations]);
    const store = new PostgresEventStore(db.client);
    cartId = randomUUID();
    const checkpoint = await appendEvents(store, cartStreamId(cartId), cartWithTwoMugs(cartId));
    // A rebuild replays the gap-safe log only.
    await untilReadable(store, checkpoint);
    await store.close();
  });

  afterEach(async () => {
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
        "unknown projection 'nope': one of catalog, stock, carts, orders, customers",
      );
    }
    expect((await runTally('projections', 'rebuild')).code).toBe(2);
  });
});
