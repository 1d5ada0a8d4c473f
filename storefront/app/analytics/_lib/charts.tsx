'use client';

import type { ReactNode } from 'react';
import { useSyncExternalStore } from 'react';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Line,
  LineChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatMoney } from '../../../lib/format';
import { formatRate } from '../../../lib/analytics-params';

/**
 * The analytics page's charts (recharts, in the browser only). They are the picture; every number they draw
 * is also in the table beside them, which is what screen readers and the keyboard use, so each chart is one
 * labelled image (`role="img"` with a title) rather than a widget to tab through.
 *
 * Rendered after hydration only: recharts sizes itself with inline styles, which the page's CSP refuses in
 * server-rendered HTML but allows when script sets them. Until then a placeholder of the same height holds
 * the space, so nothing jumps.
 */

const INK = '#1a1a1a';
const MUTED = '#525252';
const ACCENT = '#0b5cad';
const LINE = '#d4d4d4';
const HEIGHT = 260;

const noSubscription = () => () => undefined;

/** False while rendering on the server and hydrating, true after. */
function useHydrated(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}

/** The chart's box: a placeholder until the browser can draw it. */
function ChartBox({ children }: { readonly children: () => ReactNode }) {
  const hydrated = useHydrated();
  return <div className="chart-box">{hydrated ? children() : null}</div>;
}

/** Props every chart here shares: sized by its box, no animation, one labelled image for assistive tech. */
function chartProps(title: string) {
  return {
    responsive: true,
    style: { width: '100%', height: HEIGHT },
    accessibilityLayer: false,
    role: 'img',
    title,
    margin: { top: 8, right: 16, bottom: 8, left: 8 },
  } as const;
}

const tick = { fill: MUTED, fontSize: 12 };

/** `€1,234.50` for a tick or tooltip, from minor units. */
const money = (currency: string) => (value: unknown) =>
  typeof value === 'number' ? formatMoney({ amount: value, currency }) : String(value);

/** `12 Mar` from `2026-03-12`, for a day axis. */
function shortDay(day: unknown): string {
  if (typeof day !== 'string') return String(day);
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(date);
}

export interface RevenuePoint {
  readonly date: string;
  /** Captured minus refunded, minor units. */
  readonly revenue: number;
}

/** Revenue by day in one currency, as an area over the whole range (days without payments at zero). */
export function RevenueChart(props: {
  readonly title: string;
  readonly currency: string;
  readonly points: readonly RevenuePoint[];
}) {
  return (
    <ChartBox>
      {() => (
        <AreaChart data={[...props.points]} {...chartProps(props.title)}>
          <CartesianGrid stroke={LINE} vertical={false} />
          <XAxis dataKey="date" tickFormatter={shortDay} tick={tick} minTickGap={16} />
          <YAxis tickFormatter={money(props.currency)} tick={tick} width={88} />
          <Tooltip formatter={money(props.currency)} labelFormatter={shortDay} />
          <Area
            type="linear"
            dataKey="revenue"
            name="Revenue"
            stroke={ACCENT}
            fill={ACCENT}
            fillOpacity={0.15}
            isAnimationActive={false}
          />
        </AreaChart>
      )}
    </ChartBox>
  );
}

export interface BarPoint {
  readonly label: string;
  readonly value: number;
}

/**
 * Bars with a label each: vertical for a few ordered steps (the funnel), horizontal for ranked names that
 * need room (products, search terms). Values are counts.
 */
export function BarsChart(props: {
  readonly title: string;
  readonly valueName: string;
  readonly points: readonly BarPoint[];
  readonly horizontal?: boolean;
}) {
  const horizontal = props.horizontal === true;
  return (
    <ChartBox>
      {() => (
        <BarChart
          data={[...props.points]}
          layout={horizontal ? 'vertical' : 'horizontal'}
          {...chartProps(props.title)}
        >
          <CartesianGrid stroke={LINE} horizontal={!horizontal} vertical={horizontal} />
          {horizontal ? (
            <XAxis type="number" tick={tick} allowDecimals={false} />
          ) : (
            <XAxis dataKey="label" tick={{ ...tick, fill: INK }} />
          )}
          {horizontal ? (
            <YAxis type="category" dataKey="label" tick={tick} width={160} />
          ) : (
            <YAxis tick={tick} allowDecimals={false} />
          )}
          <Tooltip />
          <Bar
            dataKey="value"
            name={props.valueName}
            fill={ACCENT}
            maxBarSize={40}
            isAnimationActive={false}
          />
        </BarChart>
      )}
    </ChartBox>
  );
}

export interface RatePoint {
  readonly date: string;
  /** 0..1; null on a day without carts with items (no point is drawn). */
  readonly rate: number | null;
}

/** The share of carts abandoned, by day. */
export function RateChart(props: { readonly title: string; readonly points: readonly RatePoint[] }) {
  const percent = (value: unknown) => (typeof value === 'number' ? formatRate(value) : String(value));
  return (
    <ChartBox>
      {() => (
        <LineChart data={[...props.points]} {...chartProps(props.title)}>
          <CartesianGrid stroke={LINE} vertical={false} />
          <XAxis dataKey="date" tickFormatter={shortDay} tick={tick} minTickGap={16} />
          <YAxis domain={[0, 1]} tickFormatter={percent} tick={tick} width={56} />
          <Tooltip formatter={percent} labelFormatter={shortDay} />
          <Line
            type="linear"
            dataKey="rate"
            name="Abandonment rate"
            stroke={ACCENT}
            strokeWidth={2}
            dot={{ r: 3 }}
            isAnimationActive={false}
          />
        </LineChart>
      )}
    </ChartBox>
  );
}
