import type { Metadata } from 'next';
import type { ApiResult } from '../../lib/api';
import {
  analystOrForbidden,
  readDashboard,
  TOP_LIMIT,
  type AbandonmentMetric,
  type FunnelMetric,
  type RevenueMetric,
  type TopProductsMetric,
  type ZeroResultSearchesMetric,
} from '../../lib/analytics';
import {
  daysOf,
  formatCount,
  formatRate,
  FUNNEL_STEP_LABELS,
  parseRange,
  type DateRange,
} from '../../lib/analytics-params';
import { one, type SearchParams } from '../../lib/audit-params';
import { formatDate, formatMoney } from '../../lib/format';
import { ProblemAlert } from '../audit/_lib/ui';
import { BarsChart, RateChart, RevenueChart } from './_lib/charts';
import { DataTable, Forbidden, MetricSection, RangeForm } from './_lib/ui';

export const metadata: Metadata = { title: 'Analytics' };

type Props = { readonly searchParams: Promise<SearchParams> };

/**
 * The analysts' dashboard over the warehouse: revenue, the conversion funnel, cart abandonment, top products
 * and zero-result searches for a range of UTC days (in the URL, so a view can be shared). Each chart has its
 * numbers in a table beside it.
 */
export default async function AnalyticsPage({ searchParams }: Props) {
  const params = await searchParams;
  const parsed = parseRange(params, new Date());
  const query = new URLSearchParams();
  for (const name of ['from', 'to']) {
    const value = one(params, name);
    if (value !== undefined) query.set(name, value);
  }
  const analyst = await analystOrForbidden(query.size > 0 ? `/analytics?${query.toString()}` : '/analytics');
  if (analyst === 'forbidden') return <Forbidden />;

  const range = parsed.ok ? parsed.range : undefined;
  const dashboard = range ? await readDashboard(range) : undefined;
  return (
    <>
      <h1>Analytics</h1>
      <p className="muted">
        What the warehouse holds, kept current from every event. Days are UTC; amounts are what was captured
        minus what was refunded.
      </p>
      <RangeForm
        range={range}
        typed={{ from: one(params, 'from') ?? '', to: one(params, 'to') ?? '' }}
        bad={parsed.ok ? undefined : parsed.bad}
      />
      {range && dashboard ? (
        <>
          <p>{`Showing ${range.from} to ${range.to}.`}</p>
          <Revenue result={dashboard.revenue} range={range} />
          <Funnel result={dashboard.funnel} />
          <Abandonment result={dashboard.abandonment} range={range} />
          <TopProducts result={dashboard.topProducts} revenue={dashboard.revenue} />
          <ZeroResultSearches result={dashboard.zeroResultSearches} />
        </>
      ) : null}
    </>
  );
}

/** Every currency of the range, in the order the API lists its totals. */
function currenciesOf(revenue: RevenueMetric): string[] {
  return [...new Set([...revenue.totals, ...revenue.days].map((row) => row.currency))];
}

const money = (amount: number, currency: string) => formatMoney({ amount, currency });

function Revenue({
  result,
  range,
}: {
  readonly result: ApiResult<RevenueMetric>;
  readonly range: DateRange;
}) {
  return (
    <MetricSection id="revenue" title="Revenue">
      {!result.ok ? (
        <ProblemAlert what="Revenue could not be read" problem={result.problem} />
      ) : result.data.days.length === 0 ? (
        <p>No payments were captured or refunded in this range.</p>
      ) : (
        <>
          <dl className="analytics-figures">
            {result.data.totals.map((total) => (
              <div key={total.currency}>
                <dt>{`Revenue (${total.currency})`}</dt>
                <dd>{money(total.revenue, total.currency)}</dd>
              </div>
            ))}
          </dl>
          {currenciesOf(result.data).map((currency) => {
            const byDay = new Map(
              result.data.days.filter((day) => day.currency === currency).map((day) => [day.date, day]),
            );
            return (
              <RevenueChart
                key={currency}
                title={`Revenue by day in ${currency}`}
                currency={currency}
                points={daysOf(range).map((date) => ({ date, revenue: byDay.get(date)?.revenue ?? 0 }))}
              />
            );
          })}
          <DataTable
            caption="Revenue by day"
            columns={[
              { header: 'Date' },
              { header: 'Currency' },
              { header: 'Captured', numeric: true },
              { header: 'Refunded', numeric: true },
              { header: 'Revenue', numeric: true },
            ]}
            rows={result.data.days.map((day) => [
              day.date,
              day.currency,
              money(day.captured, day.currency),
              money(day.refunded, day.currency),
              money(day.revenue, day.currency),
            ])}
          />
          <DataTable
            caption="Revenue by category"
            columns={[{ header: 'Category' }, { header: 'Currency' }, { header: 'Revenue', numeric: true }]}
            rows={result.data.byCategory.map((row) => [
              row.category,
              row.currency,
              money(row.revenue, row.currency),
            ])}
          />
        </>
      )}
    </MetricSection>
  );
}

function Funnel({ result }: { readonly result: ApiResult<FunnelMetric> }) {
  if (!result.ok)
    return (
      <MetricSection id="funnel" title="Conversion funnel">
        <ProblemAlert what="The funnel could not be read" problem={result.problem} />
      </MetricSection>
    );
  const steps = result.data.steps.map((step) => ({
    label: FUNNEL_STEP_LABELS[step.step] ?? step.step,
    carts: step.carts,
  }));
  const opened = steps[0]?.carts ?? 0;
  return (
    <MetricSection id="funnel" title="Conversion funnel">
      <p className="muted">Carts opened in the range, and how far they got.</p>
      <BarsChart
        title="Carts at each step of the funnel"
        valueName="Carts"
        points={steps.map((step) => ({ label: step.label, value: step.carts }))}
      />
      <DataTable
        caption="Carts at each funnel step"
        columns={[
          { header: 'Step' },
          { header: 'Carts', numeric: true },
          { header: 'Of carts opened', numeric: true },
        ]}
        rows={steps.map((step) => [
          step.label,
          formatCount(step.carts),
          formatRate(opened > 0 ? step.carts / opened : null),
        ])}
      />
    </MetricSection>
  );
}

function Abandonment({
  result,
  range,
}: {
  readonly result: ApiResult<AbandonmentMetric>;
  readonly range: DateRange;
}) {
  if (!result.ok)
    return (
      <MetricSection id="abandonment" title="Cart abandonment">
        <ProblemAlert what="Cart abandonment could not be read" problem={result.problem} />
      </MetricSection>
    );
  const { days, total } = result.data;
  const byDay = new Map(days.map((day) => [day.date, day.abandonmentRate]));
  return (
    <MetricSection id="abandonment" title="Cart abandonment">
      <dl className="analytics-figures">
        <div>
          <dt>Abandonment rate</dt>
          <dd>{formatRate(total.abandonmentRate)}</dd>
        </div>
        <div>
          <dt>Carts with items</dt>
          <dd>{formatCount(total.cartsWithItems)}</dd>
        </div>
        <div>
          <dt>Carts abandoned</dt>
          <dd>{formatCount(total.cartsAbandoned)}</dd>
        </div>
      </dl>
      {days.length === 0 ? (
        <p>No cart had items in this range.</p>
      ) : (
        <>
          <RateChart
            title="Share of carts with items that were abandoned, by day"
            points={daysOf(range).map((date) => ({ date, rate: byDay.get(date) ?? null }))}
          />
          <DataTable
            caption="Cart abandonment by day"
            columns={[
              { header: 'Date' },
              { header: 'Carts with items', numeric: true },
              { header: 'Carts abandoned', numeric: true },
              { header: 'Abandonment rate', numeric: true },
            ]}
            rows={days.map((day) => [
              day.date,
              formatCount(day.cartsWithItems),
              formatCount(day.cartsAbandoned),
              formatRate(day.abandonmentRate),
            ])}
            footer={[
              'All days',
              formatCount(total.cartsWithItems),
              formatCount(total.cartsAbandoned),
              formatRate(total.abandonmentRate),
            ]}
          />
        </>
      )}
    </MetricSection>
  );
}

/**
 * Top products by units sold (then line revenue). The metric's amounts carry no currency of their own: they
 * are shown as money when the range was paid in one currency, else as minor units.
 */
function TopProducts({
  result,
  revenue,
}: {
  readonly result: ApiResult<TopProductsMetric>;
  readonly revenue: ApiResult<RevenueMetric>;
}) {
  const title = `Top ${TOP_LIMIT} products`;
  if (!result.ok)
    return (
      <MetricSection id="top-products" title={title}>
        <ProblemAlert what="The top products could not be read" problem={result.problem} />
      </MetricSection>
    );
  const currencies = revenue.ok ? currenciesOf(revenue.data) : [];
  const currency = currencies.length === 1 ? currencies[0] : undefined;
  const amount = (value: number) =>
    currency ? money(value, currency) : `${formatCount(value)} (minor units)`;
  const { products } = result.data;
  return (
    <MetricSection id="top-products" title={title}>
      {products.length === 0 ? (
        <p>No product was ordered in this range.</p>
      ) : (
        <>
          <BarsChart
            title="Units sold of the top products"
            valueName="Units sold"
            horizontal
            points={products.map((product) => ({ label: product.name, value: product.units }))}
          />
          <DataTable
            caption="Top products by units sold"
            columns={[
              { header: 'Product' },
              { header: 'SKU' },
              { header: 'Category' },
              { header: 'Units sold', numeric: true },
              { header: 'Line revenue', numeric: true },
              { header: 'Orders', numeric: true },
            ]}
            rows={products.map((product) => [
              product.name,
              product.sku,
              product.category,
              formatCount(product.units),
              amount(product.revenue),
              formatCount(product.orders),
            ])}
          />
        </>
      )}
    </MetricSection>
  );
}

function ZeroResultSearches({ result }: { readonly result: ApiResult<ZeroResultSearchesMetric> }) {
  const title = 'Zero-result searches';
  if (!result.ok)
    return (
      <MetricSection id="zero-result-searches" title={title}>
        <ProblemAlert what="The zero-result searches could not be read" problem={result.problem} />
      </MetricSection>
    );
  const { terms } = result.data;
  return (
    <MetricSection id="zero-result-searches" title={title}>
      <p className="muted">What shoppers searched for and found nothing: demand the catalog does not meet.</p>
      {terms.length === 0 ? (
        <p>Every search in this range found something.</p>
      ) : (
        <>
          <BarsChart
            title="Searches that found nothing, by search term"
            valueName="Searches"
            horizontal
            points={terms.map((term) => ({ label: term.query, value: term.searches }))}
          />
          <DataTable
            caption="Zero-result search terms"
            columns={[
              { header: 'Search term' },
              { header: 'Searches', numeric: true },
              { header: 'Last searched (UTC)' },
            ]}
            rows={terms.map((term) => [
              term.query,
              formatCount(term.searches),
              formatDate(term.lastSearchedAt),
            ])}
          />
        </>
      )}
    </MetricSection>
  );
}
