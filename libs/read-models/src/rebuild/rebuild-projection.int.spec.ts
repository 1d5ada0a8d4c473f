import { randomUUID } from 'node:crypto';
import { cartStreamId, productStreamId } from '@tally/domain';
import { cartsProjection } from '../carts/carts.projection';
import { getCart } from '../carts/carts.queries';
import { catalogProjection } from '../catalog/catalog.projection';
import { searchProducts } from '../catalog/catalog.queries';
import { cartWithTwoMugs } from '../testing/cart.fixtures';
import { freshSku, startReadModels, type ReadModelHarness } from '../testing/read-models.harness';
import { tableDigests } from '../batch';
import { RebuildInProgressError } from './read-model-copy';
import {
  applications,
  APPLICATIONS_TABLE_SQL,
  applicationsProjection,
  upTo,
} from './applications.test-projection';
import { projectionRebuilds, rebuildProjection, type RebuildProgress } from './rebuild-projection';
import { verifyProjection } from './verify-projection';

jest.setTimeout(60_000);

const happened = (label: string, count = 1) =>
  Array.from({ length: count }, () => ({ type: 'ThingHappened', data: { label } }));

async function schemas(h: ReadModelHarness): Promise<string[]> {
  const { rows } = await h.sql.query<{ nspname: string }>(
    'SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 ORDER BY nspname',
    [`${h.db.schema}\\_\\_%`],
  );
  return rows.map((row) => row.nspname);
}

/** The carts tables' indexes and foreign keys, as their definitions with the schema name left out. */
async function structures(h: ReadModelHarness): Promise<string[]> {
  const { rows } = await h.sql.query<{ def: string }>(
    `SELECT replace(pg_get_indexdef(i.indexrelid), $1, 'S') AS def
       FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
       WHERE t.relnamespace = $1::regnamespace AND t.relname IN ('carts', 'cart_lines')
       UNION ALL
       SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
       WHERE connamespace = $1::regnamespace AND contype = 'f'
         AND conrelid::regclass::text LIKE '%cart_lines'
       ORDER BY 1`,
    [h.db.schema],
  );
  return rows.map((row) => row.def);
}

describe('rebuildProjection', () => {
  let h: ReadModelHarness;

  afterEach(async () => {
    await h.close();
  });

  describe('with the live read model serving and its runner running', () => {
    let streams: string[];

    beforeEach(async () => {
      h = await startReadModels([applicationsProjection], { setupSql: APPLICATIONS_TABLE_SQL });
      streams = [0, 1, 2].map(() => `thing-${randomUUID()}`);
      let token = '';
      for (const stream of streams) token = await h.append(stream, happened('v1', 4));
      expect(await h.caughtUp(token)).toBe(true);
      // A live row the handlers would never produce: only a rebuild from the events repairs it.
      await h.sql.query(
        `UPDATE test_applications SET versions = '{99}', label = 'stale' WHERE stream_id = $1`,
        [streams[0]],
      );
    });

    it('keeps serving the old copy while filling, switches, and the runner applies later events once', async () => {
      const [first, second, third] = streams as [string, string, string];
      const reading = { on: true };
      const seen: string[] = [];
      // A reader polling the live table throughout: it must never fail nor see the stale row come back.
      const reader = (async () => {
        while (reading.on) {
          const { rows } = await h.sql.query<{ label: string }>(
            'SELECT label FROM test_applications WHERE stream_id = $1',
            [first],
          );
          seen.push(rows[0]?.label ?? 'none');
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const progress: RebuildProgress[] = [];
      let appendedDuringFill = false;
      const result = await rebuildProjection({
        sql: h.sql,
        store: h.store,
        projection: applicationsProjection,
        batchSize: 2,
        onProgress: async (p) => {
          progress.push(p);
          if (p.phase === 'filling' && p.processed > 0 && !appendedDuringFill) {
            appendedDuringFill = true;
            // While the copy fills, the live copy still answers with what it had.
            expect((await applications(h.sql))[first]).toEqual([99]);
            // ... and the runner keeps applying new events to it.
            const token = await h.append(second, happened('v2', 2));
            expect(await h.caughtUp(token)).toBe(true);
            expect((await applications(h.sql))[second]).toEqual(upTo(6));
          }
        },
      });
      reading.on = false;
      await reader;

      expect(appendedDuringFill).toBe(true);
      expect(result).toMatchObject({ projection: 'applications', eventsProcessed: 14, resumed: false });
      // Repaired by the rebuild; the events appended during the fill are there exactly once.
      expect(await applications(h.sql)).toEqual({
        [first]: upTo(4),
        [second]: upTo(6),
        [third]: upTo(4),
      });
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((label) => label === 'stale' || label === 'v1')).toBe(true);
      expect(seen.slice(seen.indexOf('v1')).every((label) => label === 'v1')).toBe(true);
      expect(progress.at(-1)).toMatchObject({ phase: 'switched', processed: 14 });
      const fills = progress.filter((p) => p.phase === 'filling' && p.processed > 0);
      expect(fills.length).toBeGreaterThan(3);
      expect(fills.every((p) => p.total !== undefined && p.eventsPerSecond > 0)).toBe(true);
      expect(await projectionRebuilds(h.sql)).toEqual([
        expect.objectContaining({ name: 'applications', state: 'switched', eventsProcessed: 14 }),
      ]);
      expect(await schemas(h)).toEqual([]);

      // The runner goes on from the switched checkpoint, into the new tables.
      const token = await h.append(third, happened('v3', 2));
      expect(await h.caughtUp(token)).toBe(true);
      expect((await applications(h.sql))[third]).toEqual(upTo(6));
      const stored = await h.sql.query<{ events_processed: string }>(
        `SELECT events_processed::text FROM projection_checkpoints WHERE name = 'applications'`,
      );
      expect(Number(stored.rows[0]?.events_processed)).toBe(16);
      await expect(
        verifyProjection({ sql: h.sql, store: h.store, projection: applicationsProjection }),
      ).resolves.toMatchObject({ identical: true });
    });

    it('resumes an interrupted rebuild from its checkpoint, leaving the live copy alone meanwhile', async () => {
      const abort = new AbortController();
      await expect(
        rebuildProjection({
          sql: h.sql,
          store: h.store,
          projection: applicationsProjection,
          batchSize: 3,
          signal: abort.signal,
          onProgress: (p) => {
            if (p.processed >= 6) abort.abort();
          },
        }),
      ).rejects.toThrow(/abort/i);

      const [interrupted] = await projectionRebuilds(h.sql);
      expect(interrupted).toMatchObject({ state: 'failed', eventsProcessed: 6 });
      expect(interrupted?.checkpoint).not.toBe('');
      expect(await schemas(h)).toEqual([interrupted?.schema]);
      expect(Object.values(await applications(h.sql))).toContainEqual([99]);

      const progress: RebuildProgress[] = [];
      const result = await rebuildProjection({
        sql: h.sql,
        store: h.store,
        projection: applicationsProjection,
        batchSize: 3,
        onProgress: (p) => {
          progress.push(p);
        },
      });

      expect(result).toMatchObject({ resumed: true, eventsProcessed: 12 });
      expect(progress[0]).toMatchObject({ processed: 6, checkpoint: interrupted?.checkpoint });
      // Each event applied exactly once across both runs, by a handler that is not idempotent.
      expect(await applications(h.sql)).toEqual(Object.fromEntries(streams.map((s) => [s, upTo(4)])));
      await expect(
        verifyProjection({ sql: h.sql, store: h.store, projection: applicationsProjection }),
      ).resolves.toMatchObject({ identical: true });
    });

    it('refuses a second rebuild of the same projection while one runs', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const first = rebuildProjection({
        sql: h.sql,
        store: h.store,
        projection: applicationsProjection,
        onProgress: async () => {
          started();
          await held;
        },
      });
      await running;
      await expect(
        rebuildProjection({ sql: h.sql, store: h.store, projection: applicationsProjection }),
      ).rejects.toBeInstanceOf(RebuildInProgressError);
      release();
      await expect(first).resolves.toMatchObject({ eventsProcessed: 12 });
    });
  });

  describe('of real read models', () => {
    beforeEach(async () => {
      h = await startReadModels([catalogProjection, cartsProjection]);
    });

    it('rebuilds the catalog with its search tables, which search then uses', async () => {
      const sku = freshSku('LAMP');
      const token = await h.append(productStreamId(sku), [
        {
          type: 'ProductCreated',
          data: {
            sku,
            name: 'Brass desk lamp',
            description: 'Warm light',
            category: 'Lighting',
            attributes: {},
            images: [],
            price: { amount: 4900, currency: 'USD' },
          },
        },
        { type: 'ProductPublished', data: { sku } },
      ]);
      expect(await h.caughtUp(token)).toBe(true);
      await h.sql.query('DELETE FROM catalog_search_terms');

      await rebuildProjection({ sql: h.sql, store: h.store, projection: catalogProjection });

      const found = await searchProducts(h.sql, { q: 'lampp', page: 1, pageSize: 10 });
      expect(found.items.map((item) => item.sku)).toEqual([sku]);
      await expect(
        verifyProjection({ sql: h.sql, store: h.store, projection: catalogProjection }),
      ).resolves.toMatchObject({ identical: true });
    });

    it('verify reports identical for a healthy model and names the rows of a corrupted one', async () => {
      const cartId = randomUUID();
      const token = await h.append(cartStreamId(cartId), cartWithTwoMugs(cartId));
      expect(await h.caughtUp(token)).toBe(true);
      expect(await getCart(h.sql, cartId)).toMatchObject({ lines: [{ sku: 'MUG', quantity: 2 }] });

      const healthy = await verifyProjection({ sql: h.sql, store: h.store, projection: cartsProjection });
      expect(healthy).toMatchObject({ projection: 'carts', checkpoint: token, identical: true });
      expect(healthy.tables).toEqual([
        expect.objectContaining({ table: 'carts', liveRows: 1, rebuiltRows: 1, missing: 0, unexpected: 0 }),
        expect.objectContaining({
          table: 'cart_lines',
          liveRows: 1,
          rebuiltRows: 1,
          missing: 0,
          unexpected: 0,
        }),
      ]);

      await h.sql.query(`UPDATE cart_lines SET quantity = 7 WHERE cart_id = $1`, [cartId]);
      const corrupted = await verifyProjection({ sql: h.sql, store: h.store, projection: cartsProjection });

      expect(corrupted.identical).toBe(false);
      const lines = corrupted.tables.find((t) => t.table === 'cart_lines');
      expect(lines).toMatchObject({ liveRows: 1, rebuiltRows: 1, missing: 1, unexpected: 1 });
      expect(lines?.samples.missing).toEqual([expect.objectContaining({ cart_id: cartId, quantity: '2' })]);
      expect(lines?.samples.unexpected).toEqual([
        expect.objectContaining({ cart_id: cartId, quantity: '7' }),
      ]);
      expect(corrupted.tables.find((t) => t.table === 'carts')).toMatchObject({ missing: 0, unexpected: 0 });
      // Verification only reads the live copy and leaves no scratch schema behind.
      expect(await getCart(h.sql, cartId)).toMatchObject({ lines: [{ quantity: 7 }] });
      expect(await schemas(h)).toEqual([]);
    });
    it('fills the carts copy without the indexes and keys it defers, and switches in the same set', async () => {
      const before = await structures(h);
      expect(before).toEqual(
        expect.arrayContaining([
          expect.stringContaining('carts_customer_open_newest'),
          expect.stringContaining('cart_lines_cart_id_fkey FOREIGN KEY (cart_id) REFERENCES'),
        ]),
      );
      // Enough carts that the batches split into concurrent parts by cart id.
      const cartIds = Array.from({ length: 24 }, () => randomUUID());
      let token = '';
      for (const id of cartIds) token = await h.append(cartStreamId(id), cartWithTwoMugs(id));
      const cartId = cartIds[0]!;
      expect(await h.caughtUp(token)).toBe(true);
      const rowOrder = { carts: 'cart_id COLLATE "C"', cart_lines: 'cart_id COLLATE "C", sku COLLATE "C"' };
      const built = await tableDigests(h.sql, rowOrder);

      const copy = `${h.db.schema}__rebuild_carts`;
      const during: string[][] = [];
      const phases: RebuildProgress['phase'][] = [];
      await rebuildProjection({
        sql: h.sql,
        store: h.store,
        projection: cartsProjection,
        batchSize: 10,
        onProgress: async (progress) => {
          phases.push(progress.phase);
          if (progress.phase !== 'filling' || progress.processed === 0) return;
          const { rows } = await h.sql.query<{ name: string }>(
            `SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1
             UNION ALL SELECT conname FROM pg_constraint WHERE connamespace = $1::regnamespace AND contype = 'f'
             ORDER BY 1`,
            [copy],
          );
          during.push(rows.map((row) => row.name));
        },
      });

      // While filling, the copy had its primary keys and the list of what it deferred, nothing else.
      expect(during.at(-1)).toEqual(['cart_lines_pkey', 'carts_pkey', 'tally_deferred_ddl_pkey']);
      expect(phases).toEqual(expect.arrayContaining(['filling', 'indexing', 'switching', 'switched']));
      expect(await structures(h)).toEqual(before);
      expect(await tableDigests(h.sql, rowOrder)).toEqual(built);
      expect(await getCart(h.sql, cartId)).toMatchObject({ lines: [{ sku: 'MUG', quantity: 2 }] });
      expect(await schemas(h)).toEqual([]);
    });

    it('creates what it deferred when a rebuild interrupted mid-fill resumes', async () => {
      const before = await structures(h);
      const cartIds = Array.from({ length: 24 }, () => randomUUID());
      let token = '';
      for (const id of cartIds) token = await h.append(cartStreamId(id), cartWithTwoMugs(id));
      expect(await h.caughtUp(token)).toBe(true);
      const rowOrder = { carts: 'cart_id COLLATE "C"', cart_lines: 'cart_id COLLATE "C", sku COLLATE "C"' };
      const built = await tableDigests(h.sql, rowOrder);

      const abort = new AbortController();
      await expect(
        rebuildProjection({
          sql: h.sql,
          store: h.store,
          projection: cartsProjection,
          batchSize: 10,
          signal: abort.signal,
          onProgress: (p) => {
            if (p.processed >= 10) abort.abort();
          },
        }),
      ).rejects.toThrow(/abort/i);
      const copy = `${h.db.schema}__rebuild_carts`;
      const { rows: kept } = await h.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${copy}.tally_deferred_ddl`,
      );
      expect(kept[0]?.n).toBe(3);

      const result = await rebuildProjection({ sql: h.sql, store: h.store, projection: cartsProjection });
      expect(result.resumed).toBe(true);
      expect(await structures(h)).toEqual(before);
      expect(await tableDigests(h.sql, rowOrder)).toEqual(built);
      expect(await schemas(h)).toEqual([]);
    });

    it('refuses to start a rebuild whose storage defers an index the tables do not have', async () => {
      const projection = {
        ...cartsProjection,
        storage: { ...cartsProjection.storage!, deferredDuringRebuild: ['carts_pkey', 'no_such_index'] },
      };
      await expect(rebuildProjection({ sql: h.sql, store: h.store, projection })).rejects.toThrow(
        /Cannot defer carts_pkey, no_such_index/,
      );
    });
  });
});
