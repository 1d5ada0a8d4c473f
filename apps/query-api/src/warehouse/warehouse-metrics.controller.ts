import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import type { SqlExecutor } from '@tally/database';
import { HttpProblem, parseRequest, Roles, ValidationProblem } from '@tally/platform';
import {
  isWarehouseMetric,
  type MetricRange,
  readMetric,
  WAREHOUSE_METRICS,
  WAREHOUSE_SQL,
  type WarehouseMetricAnswers,
} from '@tally/warehouse';
import { z } from 'zod';
import {
  DEFAULT_METRIC_RANGE_DAYS,
  MAX_METRIC_RANGE_DAYS,
  type MetricQuery,
  metricQuery,
} from './warehouse-metrics.schemas';

const DAY_MS = 86_400_000;

/**
 * The analysts' dashboard numbers (docs/warehouse.md): one metric over a range of UTC days, read from the
 * warehouse's metric views only, so that the dashboard shows what an analyst's SQL over the views shows.
 */
@Controller('api/v1/warehouse')
@Roles('analyst')
export class WarehouseMetricsController {
  constructor(@Inject(WAREHOUSE_SQL) private readonly sql: SqlExecutor) {}

  @Get('metrics/:metric')
  async metric(
    @Param() rawParams: unknown,
    @Query() rawQuery: unknown,
  ): Promise<WarehouseMetricAnswers[keyof WarehouseMetricAnswers]> {
    const { metric } = parseRequest(z.object({ metric: z.string() }), rawParams, 'path');
    if (!isWarehouseMetric(metric)) {
      throw new HttpProblem(
        404,
        'METRIC_NOT_FOUND',
        'Not found',
        `No metric ${metric}: the metrics are ${WAREHOUSE_METRICS.join(', ')}.`,
      );
    }
    const range = metricRange(parseRequest(metricQuery, rawQuery, 'query'), new Date());
    return readMetric(this.sql, metric, range);
  }
}

/**
 * The range a request asks for: `to` defaults to today (UTC) and `from` to the {@link DEFAULT_METRIC_RANGE_DAYS}
 * days ending on `to`. A range that runs backwards or spans more than {@link MAX_METRIC_RANGE_DAYS} days is
 * a 400 naming `from`.
 */
export function metricRange(query: MetricQuery, now: Date): MetricRange {
  const to = query.to ?? now.toISOString().slice(0, 10);
  const from = query.from ?? dayOffset(to, -(DEFAULT_METRIC_RANGE_DAYS - 1));
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days < 1) {
    throw new ValidationProblem([{ field: 'query.from', message: `must not be after to (${to})` }]);
  }
  if (days > MAX_METRIC_RANGE_DAYS) {
    throw new ValidationProblem([
      { field: 'query.from', message: `must be at most ${MAX_METRIC_RANGE_DAYS} days before to (${to})` },
    ]);
  }
  return { from, to, limit: query.limit };
}

function dayOffset(day: string, days: number): string {
  return new Date(Date.parse(day) + days * DAY_MS).toISOString().slice(0, 10);
}
