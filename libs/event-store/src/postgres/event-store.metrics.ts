import { Gauge, type Registry } from 'prom-client';
import type { VisibilityLag } from './postgres-event-store';

/** What the metrics read: the Postgres event store, or anything else that can tell its visibility lag. */
export interface VisibilityLagSource {
  visibilityLag(): Promise<VisibilityLag>;
}

/**
 * Registers `tally_event_store_visibility_lag_seconds` and `tally_event_store_visibility_lag_events`,
 * sampled at scrape time. Both gauges of one scrape share one query. A failed query reports NaN rather
 * than a stale value.
 */
export function registerEventStoreMetrics(registry: Registry, store: VisibilityLagSource): void {
  let sample: Promise<VisibilityLag | undefined> | undefined;
  const read = (): Promise<VisibilityLag | undefined> =>
    (sample ??= store
      .visibilityLag()
      .catch(() => undefined)
      .finally(() => {
        sample = undefined;
      }));
  new Gauge({
    name: 'tally_event_store_visibility_lag_seconds',
    help: 'How long the oldest committed event not yet readable by readAll has waited (an older transaction is open)',
    registers: [registry],
    async collect() {
      this.set((await read())?.seconds ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'tally_event_store_visibility_lag_events',
    help: 'Committed events not yet readable by readAll because an older transaction is still open',
    registers: [registry],
    async collect() {
      this.set((await read())?.events ?? Number.NaN);
    },
  });
}
