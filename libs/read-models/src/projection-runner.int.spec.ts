import type { SqlExecutor } from '@tally/database';
import { START, type RecordedEvent } from '@tally/event-store';
import type { Gauge } from 'prom-client';
import pino from 'pino';
import { projectionCheckpoints, waitForProjections } from './consistency';
import type { Projection } from './projection';
import { ProjectionRunner, TransientProjectionError, type ProjectionLogger } from './projection-runner';
import { startReadModels, type ReadModelHarness } from './testing/read-models.harness';

// pino must satisfy the runner's logger port (checked at compile time).
const _pinoIsALogger: ProjectionLogger = pino({ enabled: false });

const LEDGER_SQL = `CREATE TABLE ledger (projection text NOT NULL, event_id text NOT NULL, value int);`;

type Behaviour = (tx: SqlExecutor, event: RecordedEvent) => Promise<void>;

/**
 * A deliberately non-idempotent test projection: one ledger row per application, so a double application
 * shows up as a duplicate row. `behaviour` runs after the row is written.
 */
function ledger(name: string, behaviour: Behaviour = () => Promise.resolve()): Projection {
  return {
    name,
    eventTypes: ['LedgerEntryMade'],
    async apply(tx, events) {
      for (const event of events) {
        const data = event.data as { value: number };
        await tx.query('INSERT INTO ledger (projection, event_id, value) VALUES ($1, $2, $3)', [
          name,
          event.eventId,
          data.value,
        ]);
        await behaviour(tx, event);
      }
    },
  };
}

const entries = (...values: number[]) =>
  values.map((value) => ({ type: 'LedgerEntryMade', data: { value } }));

async function ledgerRows(h: ReadModelHarness, name = 'ledger') {
  const { rows } = await h.sql.query<{ event_id: string; value: number }>(
    'SELECT event_id, value FROM ledger WHERE projection = $1 ORDER BY value',
    [name],
  );
  return rows;
}

async function storedCheckpoint(h: ReadModelHarness, name = 'ledger') {
  return (await projectionCheckpoints(h.sql)).find((status) => status.name === name);
}

async function metricValues(h: ReadModelHarness, metric: string) {
  const found = h.registry.getSingleMetric(metric) as Gauge | undefined;
  return found ? (await found.get()).values : [];
}

describe('ProjectionRunner', () => {
  let h: ReadModelHarness;

  afterEach(async () => {
    await h.close();
  });

  describe('when every event applies', () => {
    beforeEach(async () => {
      h = await startReadModels([ledger('ledger')], { setupSql: LEDGER_SQL });
    });

    it('applies each event once and commits the checkpoint with the effects', async () => {
      await h.append('ledger-a', entries(1, 2));
      const token = await h.append('ledger-b', entries(3));

      expect(await h.caughtUp(token)).toBe(true);
      expect((await ledgerRows(h)).map((row) => row.value)).toEqual([1, 2, 3]);
      expect(await storedCheckpoint(h)).toMatchObject({
        checkpoint: token,
        eventsProcessed: 3,
        poisonEvents: 0,
      });
      expect(await metricValues(h, 'tally_projection_events_total')).toEqual([
        expect.objectContaining({ labels: { projection: 'ledger' }, value: 3 }),
      ]);
    });

    it('advances the checkpoint past events of types it does not handle', async () => {
      await h.append('ledger-a', entries(1));
      const token = await h.append('other-a', [{ type: 'SomethingElseHappened', data: {} }]);

      expect(await h.caughtUp(token)).toBe(true);
      expect((await storedCheckpoint(h))!.checkpoint >= token).toBe(true);
      expect(await ledgerRows(h)).toHaveLength(1);
    });

    it('resumes from its checkpoint after a restart without applying anything twice', async () => {
      const first = await h.append('ledger-a', entries(1, 2, 3));
      expect(await h.caughtUp(first)).toBe(true);

      await h.restart();
      const second = await h.append('ledger-a', entries(4, 5));

      expect(await h.caughtUp(second)).toBe(true);
      const rows = await ledgerRows(h);
      expect(rows.map((row) => row.value)).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(rows.map((row) => row.event_id)).size).toBe(5);
      expect(await storedCheckpoint(h)).toMatchObject({ checkpoint: second, eventsProcessed: 5 });
    });

    it('applies each event once when two runners share a projection', async () => {
      const rival = new ProjectionRunner({
        sql: h.db.connect(),
        store: h.store,
        projections: [ledger('ledger')],
        logger: h.logger,
      });
      await rival.start();
      try {
        let token = START;
        for (let i = 1; i <= 20; i++) token = await h.append(`ledger-${i % 3}`, entries(i));
        expect(await h.caughtUp(token)).toBe(true);
        expect(await waitForProjections(h.sql, ['ledger'], token)).toBe(true);
        await rival.stop();
        await h.runner.stop();
        const rows = await ledgerRows(h);
        expect(rows.map((row) => row.value)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      } finally {
        await rival.stop();
      }
    });
  });

  describe('when the infrastructure fails mid-batch', () => {
    it('rolls the whole batch back when a statement times out after writing, and resumes after a restart', async () => {
      let crash = true;
      h = await startReadModels(
        [
          ledger('ledger', async (tx, event) => {
            // A real infrastructure failure after the row was written: the server cancels a statement
            // that outlives its timeout (SQLSTATE 57014), which aborts the transaction.
            if (crash && (event.data as { value: number }).value === 2) {
              await tx.query(`SET LOCAL statement_timeout = '10ms'`);
              await tx.query('SELECT pg_sleep(1)');
            }
          }),
        ],
        // Retry far in the future, so the test sees the state between the failure and a retry.
        { setupSql: LEDGER_SQL, retry: { initialMs: 600_000, maxMs: 600_000 } },
      );
      const token = await h.append('ledger-a', entries(1, 2, 3));

      await h.logger.until('projection failed; retrying');
      expect(await ledgerRows(h)).toEqual([]);
      expect(await storedCheckpoint(h)).toMatchObject({ checkpoint: START, eventsProcessed: 0 });
      expect(h.runner.status()).toEqual([
        expect.objectContaining({ name: 'ledger', state: 'retrying', failures: 1 }),
      ]);

      crash = false;
      await h.restart();

      expect(await h.caughtUp(token)).toBe(true);
      expect((await ledgerRows(h)).map((row) => row.value)).toEqual([1, 2, 3]);
      expect(await storedCheckpoint(h)).toMatchObject({
        checkpoint: token,
        eventsProcessed: 3,
        poisonEvents: 0,
      });
    });

    it('retries an infrastructure error with backoff until the batch commits, applying it once', async () => {
      let failuresLeft = 2;
      h = await startReadModels(
        [
          ledger('ledger', (_tx, event) => {
            if ((event.data as { value: number }).value === 2 && failuresLeft > 0) {
              failuresLeft -= 1;
              return Promise.reject(new TransientProjectionError('search index unreachable'));
            }
            return Promise.resolve();
          }),
        ],
        { setupSql: LEDGER_SQL },
      );
      const token = await h.append('ledger-a', entries(1, 2, 3));

      expect(await h.caughtUp(token)).toBe(true);
      expect((await ledgerRows(h)).map((row) => row.value)).toEqual([1, 2, 3]);
      expect(await metricValues(h, 'tally_projection_errors_total')).toEqual([
        expect.objectContaining({ labels: { projection: 'ledger' }, value: 2 }),
      ]);
      expect(await metricValues(h, 'tally_projection_poison_events_total')).toEqual([]);
      expect(h.runner.status()).toEqual([expect.objectContaining({ state: 'running', failures: 0 })]);
    });
  });

  describe('when a handler throws on one event', () => {
    beforeEach(async () => {
      h = await startReadModels(
        [
          ledger('ledger', (_tx, event) => {
            if ((event.data as { value: number }).value < 0)
              return Promise.reject(new Error('negative entries make no sense'));
            return Promise.resolve();
          }),
        ],
        { setupSql: LEDGER_SQL },
      );
    });

    it('records, counts and skips the poison event and still applies the events around it', async () => {
      await h.append('ledger-a', entries(1, -2, 3));
      const token = await h.append('ledger-b', entries(4));

      expect(await h.caughtUp(token)).toBe(true);
      expect((await ledgerRows(h)).map((row) => row.value)).toEqual([1, 3, 4]);

      const poisonId = (await h.store.readStream('ledger-a'))[1]!.eventId;
      const { rows } = await h.sql.query('SELECT * FROM projection_poison_events');
      expect(rows).toEqual([
        expect.objectContaining({
          projection: 'ledger',
          event_id: poisonId,
          stream_id: 'ledger-a',
          version: 2,
          type: 'LedgerEntryMade',
          error: 'Error: negative entries make no sense',
        }),
      ]);
      expect(await storedCheckpoint(h)).toMatchObject({
        checkpoint: token,
        eventsProcessed: 3,
        poisonEvents: 1,
      });
      expect(await metricValues(h, 'tally_projection_poison_events_total')).toEqual([
        expect.objectContaining({ labels: { projection: 'ledger' }, value: 1 }),
      ]);
      expect(h.logger.entries).toContainEqual(
        expect.objectContaining({
          level: 'error',
          obj: expect.objectContaining({ projection: 'ledger', eventId: poisonId }) as unknown,
        }),
      );
    });
  });

  describe('lag metrics', () => {
    it('counts the unapplied events of its types and the age of the oldest, from the stored checkpoint', async () => {
      h = await startReadModels([ledger('ledger')], { setupSql: LEDGER_SQL });
      const applied = await h.append('ledger-a', entries(1, 2));
      expect(await h.caughtUp(applied)).toBe(true);
      expect(await metricValues(h, 'tally_projection_lag_events')).toEqual([
        expect.objectContaining({ labels: { projection: 'ledger' }, value: 0 }),
      ]);
      await h.runner.stop();

      await h.append('ledger-a', entries(3, 4));
      await h.append('other-a', [{ type: 'SomethingElseHappened', data: {} }]);
      const token = await h.append('ledger-b', entries(5));
      const [oldest] = (await h.store.readStream('ledger-a', { fromVersion: 3 })).map((e) => e.recordedAt);
      // Not started: the gauges read the stored checkpoint, whichever runner wrote it.
      h.runner = new ProjectionRunner({
        sql: h.sql,
        store: h.store,
        projections: [ledger('ledger')],
        logger: h.logger,
        registry: h.registry,
        now: () => Date.parse(oldest!) + 5000,
      });

      expect(await metricValues(h, 'tally_projection_lag_events')).toEqual([
        expect.objectContaining({ labels: { projection: 'ledger' }, value: 3 }),
      ]);
      expect(await metricValues(h, 'tally_projection_lag_seconds')).toEqual([
        expect.objectContaining({ labels: { projection: 'ledger' }, value: 5 }),
      ]);
      expect(await metricValues(h, 'tally_projection_checkpoint_info')).toEqual([
        expect.objectContaining({ labels: { projection: 'ledger', checkpoint: applied }, value: 1 }),
      ]);

      await h.runner.start();
      expect(await h.caughtUp(token)).toBe(true);
      expect(await metricValues(h, 'tally_projection_lag_events')).toEqual([
        expect.objectContaining({ value: 0 }),
      ]);
      expect(await metricValues(h, 'tally_projection_lag_seconds')).toEqual([
        expect.objectContaining({ value: 0 }),
      ]);
    });
  });
});

describe('waitForProjections', () => {
  let h: ReadModelHarness;

  beforeEach(async () => {
    h = await startReadModels([ledger('ledger')], { setupSql: LEDGER_SQL });
  });
  afterEach(async () => {
    await h.close();
  });

  it('resolves true once every named projection has passed the token', async () => {
    const token = await h.append('ledger-a', entries(1));
    expect(await waitForProjections(h.sql, ['ledger'], token)).toBe(true);
    expect(await ledgerRows(h)).toHaveLength(1);
  });

  it('resolves true at once for the START token or no projections', async () => {
    expect(await waitForProjections(h.sql, ['ledger'], START)).toBe(true);
    expect(await waitForProjections(h.sql, [], 'anything')).toBe(true);
  });

  it('resolves false at the timeout when a projection is behind, without throwing', async () => {
    await h.runner.stop();
    const token = await h.append('ledger-a', entries(1));

    const started = Date.now();
    expect(await waitForProjections(h.sql, ['ledger'], token, { timeoutMs: 150 })).toBe(false);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(1500);
  });

  it('resolves false for a projection that has no checkpoint yet', async () => {
    const token = await h.append('ledger-a', entries(1));
    expect(await waitForProjections(h.sql, ['ledger', 'unknown'], token, { timeoutMs: 100 })).toBe(false);
  });

  it('wakes on the notification of a committed batch rather than the next poll', async () => {
    await h.runner.stop();
    const token = await h.append('ledger-a', entries(1));
    const waiting = waitForProjections(h.sql, ['ledger'], token, { timeoutMs: 5000, pollMs: 60_000 });
    await h.restart();
    // Polling every minute, only the notification can wake it within the timeout.
    expect(await waiting).toBe(true);
  });
});
