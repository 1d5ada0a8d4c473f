import type { Metadata } from 'next';
import Link from 'next/link';
import { auditorOrForbidden, searchEvents } from '../../lib/audit';
import {
  EVENTS_PAGE_SIZE,
  filtersQuery,
  narrowEnough,
  momentInput,
  one,
  parseEventFilters,
  type EventFilters,
  type SearchParams,
} from '../../lib/audit-params';
import { AuditInput, BadFieldAlert, EventTable, Forbidden, ProblemAlert } from './_lib/ui';

export const metadata: Metadata = { title: 'Events' };

type Props = { readonly searchParams: Promise<SearchParams> };

const ERROR_ID = 'audit-search-error';

/**
 * Event search for auditors: every stored event, filtered by type, actor, correlation id, stream and time,
 * paged; the filters and the page live in the URL, so a search can be bookmarked and shared. Each row leads
 * to its stream's timeline and to the story its correlation id tells.
 */
export default async function AuditEventsPage({ searchParams }: Props) {
  const params = await searchParams;
  const parsed = parseEventFilters(params);
  const query = parsed.ok ? filtersQuery(parsed.filters).toString() : '';
  const auditor = await auditorOrForbidden(query ? `/audit?${query}` : '/audit');
  if (auditor === 'forbidden') return <Forbidden />;

  const bad = parsed.ok ? undefined : parsed.bad;
  // What the auditor typed is shown back even when it was refused, so it can be corrected in place.
  const shown = (name: string) => one(params, name) ?? '';
  const filters: EventFilters | undefined = parsed.ok ? parsed.filters : undefined;
  const searching = filters !== undefined && narrowEnough(filters);
  const result = searching
    ? await searchEvents(
        (() => {
          const api = filtersQuery(filters, 1);
          api.set('page', String(filters.page));
          api.set('pageSize', String(EVENTS_PAGE_SIZE));
          return api;
        })(),
      )
    : undefined;
  const href = (page: number) => {
    const target = filters ? filtersQuery(filters, page).toString() : '';
    return target ? `/audit?${target}` : '/audit';
  };
  return (
    <>
      <h1>Events</h1>
      <p className="muted">
        Every change Tally ever recorded, with who made it and its link in the tamper-evident hash chain.
        Times are UTC.
      </p>
      <form action="/audit" role="search" aria-label="Search events">
        <div className="audit-filters">
          <AuditInput
            id="f-type"
            name="type"
            label="Event type"
            hint="e.g. OrderPlaced"
            defaultValue={shown('type')}
            bad={bad}
            errorId={ERROR_ID}
          />
          <AuditInput
            id="f-actor"
            name="actor"
            label="Actor id"
            defaultValue={shown('actor')}
            bad={bad}
            errorId={ERROR_ID}
          />
          <AuditInput
            id="f-correlation"
            name="correlationId"
            label="Correlation id"
            defaultValue={shown('correlationId')}
            bad={bad}
            errorId={ERROR_ID}
          />
          <AuditInput
            id="f-stream"
            name="streamId"
            label="Stream"
            hint="e.g. order-<id>, stock-<sku>"
            defaultValue={shown('streamId')}
            bad={bad}
            errorId={ERROR_ID}
          />
          <AuditInput
            id="f-from"
            name="from"
            label="From (UTC)"
            type="datetime-local"
            step={1}
            defaultValue={filters?.from ? momentInput(filters.from) : shown('from')}
            bad={bad}
            errorId={ERROR_ID}
          />
          <AuditInput
            id="f-to"
            name="to"
            label="To (UTC)"
            type="datetime-local"
            step={1}
            defaultValue={filters?.to ? momentInput(filters.to) : shown('to')}
            bad={bad}
            errorId={ERROR_ID}
          />
        </div>
        <div className="audit-actions">
          <button type="submit">Search events</button>
          <Link href="/audit">Clear filters</Link>
        </div>
      </form>
      {bad ? <BadFieldAlert bad={bad} id={ERROR_ID} /> : null}
      {filters && !searching ? (
        <p className="muted">
          Give an event type, an actor, a correlation id or a stream, or a From time, to search the log.
        </p>
      ) : null}
      {result && !result.ok ? (
        <ProblemAlert what="The events could not be read" problem={result.problem} />
      ) : null}
      {result?.ok ? (
        result.data.items.length === 0 ? (
          <p role="status">No events match these filters.</p>
        ) : (
          <>
            <EventTable
              caption={`Events ${(result.data.page - 1) * result.data.pageSize + 1} to ${(result.data.page - 1) * result.data.pageSize + result.data.items.length}${result.data.hasMore ? ' (more on the next page)' : ''}`}
              events={result.data.items}
              showStream
              showCorrelation
            />
            <nav className="pagination" aria-label="Event pages">
              <ul>
                {result.data.page > 1 ? (
                  <li>
                    <Link href={href(result.data.page - 1)}>Previous page</Link>
                  </li>
                ) : null}
                <li>
                  <span aria-current="page">{`Page ${result.data.page}`}</span>
                </li>
                {result.data.hasMore ? (
                  <li>
                    <Link href={href(result.data.page + 1)}>Next page</Link>
                  </li>
                ) : null}
              </ul>
            </nav>
          </>
        )
      ) : null}
    </>
  );
}
