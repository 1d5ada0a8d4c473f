import { Counter, type Registry } from 'prom-client';

/** Counters shared by every consumer of a process, labelled by consumer name. */
export interface ConsumerMetrics {
  readonly handled: Counter<'consumer'>;
  readonly failures: Counter<'consumer'>;
}

/** The consumer counters of `registry`, registered on first use (several hosts may share a registry). */
export function consumerMetrics(registry: Registry): ConsumerMetrics {
  const existing = (name: string) => registry.getSingleMetric(name) as Counter<'consumer'> | undefined;
  return {
    handled:
      existing('tally_consumer_events_handled_total') ??
      new Counter({
        name: 'tally_consumer_events_handled_total',
        help: 'Events a consumer handler completed.',
        labelNames: ['consumer'],
        registers: [registry],
      }),
    failures:
      existing('tally_consumer_handler_failures_total') ??
      new Counter({
        name: 'tally_consumer_handler_failures_total',
        help: 'Handler failures; the event is delivered again after a backoff.',
        labelNames: ['consumer'],
        registers: [registry],
      }),
  };
}

/** Where one consumer stands, for readiness checks and operators. */
export interface ConsumerStatus {
  readonly name: string;
  readonly state: 'starting' | 'running' | 'retrying' | 'stopped';
  /** Consecutive failures of the consumer itself (not of its handler). */
  readonly failures: number;
  readonly lastError?: string;
}
