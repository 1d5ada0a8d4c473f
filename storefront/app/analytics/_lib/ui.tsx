import Link from 'next/link';
import type { ReactNode } from 'react';
import { AccessDenied } from '../../components/access-denied';
import type { BadField } from '../../../lib/audit-params';
import type { DateRange } from '../../../lib/analytics-params';

/** The page a signed-in account without the analyst role gets instead of any warehouse number. */
export function Forbidden() {
  return <AccessDenied reason="the analytics page is for analysts" />;
}

const ERROR_ID = 'analytics-range-error';

/**
 * The date range control: two UTC days in the URL (`from`, `to`, inclusive), so a view can be bookmarked and
 * shared. A refused value is shown back as typed, marked invalid and tied to its message.
 */
export function RangeForm(props: {
  readonly range: DateRange | undefined;
  readonly typed: { readonly from: string; readonly to: string };
  readonly bad: BadField | undefined;
}) {
  const input = (name: 'from' | 'to', label: string) => {
    const invalid = props.bad?.field === name;
    return (
      <div className="field">
        <label htmlFor={`range-${name}`}>{label}</label>
        <input
          id={`range-${name}`}
          name={name}
          type="date"
          defaultValue={props.range ? props.range[name] : props.typed[name]}
          aria-invalid={invalid || undefined}
          aria-describedby={invalid ? ERROR_ID : undefined}
        />
      </div>
    );
  };
  return (
    <>
      <form action="/analytics" aria-label="Date range" className="analytics-range">
        {input('from', 'From (UTC)')}
        {input('to', 'To (UTC)')}
        <button type="submit">Show</button>
        <Link href="/analytics">Last 30 days</Link>
      </form>
      {props.bad ? (
        <p role="alert" className="alert" id={ERROR_ID}>
          {props.bad.message}
        </p>
      ) : null}
    </>
  );
}

/** A chart's section: a heading that names it (and the region), then the chart and its numbers. */
export function MetricSection(props: {
  readonly id: string;
  readonly title: string;
  readonly children: ReactNode;
}) {
  return (
    <section className="analytics-section" aria-labelledby={`${props.id}-heading`}>
      <h2 id={`${props.id}-heading`}>{props.title}</h2>
      {props.children}
    </section>
  );
}

export interface Column {
  readonly header: string;
  /** Numbers are right-aligned, so their digits line up. */
  readonly numeric?: boolean;
}

/**
 * Numbers as a table: the caption names it (and the scrollable region around it), the first cell of each
 * row is the row's header. What a chart draws, for screen readers, the keyboard and anyone who wants digits.
 */
export function DataTable(props: {
  readonly caption: string;
  readonly columns: readonly Column[];
  readonly rows: readonly (readonly [string, ...string[]])[];
  readonly footer?: readonly [string, ...string[]];
}) {
  const cell = (value: string, index: number) =>
    index === 0 ? (
      <th scope="row" key={index}>
        {value}
      </th>
    ) : (
      <td key={index} className={props.columns[index]?.numeric ? 'num' : undefined}>
        {value}
      </td>
    );
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label={props.caption}>
      <table>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th scope="col" key={column.header} className={column.numeric ? 'num' : undefined}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={row.join('\u0000')}>{row.map(cell)}</tr>
          ))}
        </tbody>
        {props.footer ? (
          <tfoot>
            <tr>{props.footer.map(cell)}</tr>
          </tfoot>
        ) : null}
      </table>
    </div>
  );
}
