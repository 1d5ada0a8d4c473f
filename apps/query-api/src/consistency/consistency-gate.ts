import { Inject, Injectable } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import {
  type AppConfig,
  APP_CONFIG,
  ConsistencyTimeout,
  METRICS_REGISTRY,
  parseRequest,
  SQL_CLIENT,
} from '@tally/platform';
import { waitForProjections } from '@tally/read-models';
import { Histogram, type Registry } from 'prom-client';
import { consistencyHeaderSchema } from '../shared.schemas';

/** The projections behind each read endpoint: a consistency token waits for exactly these. */
export type ProjectionName = 'catalog' | 'stock' | 'carts' | 'orders' | 'customers';

/**
 * Read-your-writes (DESIGN.md §6): a request carrying `Tally-Consistency` waits, at most
 * CONSISTENCY_TIMEOUT_MS, until the projections it reads have passed the token; after that it is a 503
 * with `Retry-After` rather than a stale answer.
 */
@Injectable()
export class ConsistencyGate {
  private readonly waits: Histogram<'outcome'>;

  constructor(
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.waits = new Histogram({
      name: 'tally_consistency_wait_seconds',
      help: 'Time reads with a Tally-Consistency token waited for projections, by outcome',
      labelNames: ['outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    });
  }

  /** Returns at once without a token; otherwise once `projections` have passed it, or throws a 503. */
  async waitFor(tokenHeader: string | undefined, projections: readonly ProjectionName[]): Promise<void> {
    const token = parseRequest(consistencyHeaderSchema, { 'Tally-Consistency': tokenHeader }, 'header')[
      'Tally-Consistency'
    ];
    if (token === undefined) return;
    const timeoutMs = this.config.CONSISTENCY_TIMEOUT_MS;
    const end = this.waits.startTimer();
    const reached = await waitForProjections(this.sql, projections, token, { timeoutMs });
    end({ outcome: reached ? 'reached' : 'timeout' });
    if (!reached) {
      throw new ConsistencyTimeout(projections, timeoutMs);
    }
  }
}
