import Link from 'next/link';
import type { ReactNode } from 'react';
import { AccessDenied } from '../../components/access-denied';
import type { Problem } from '../../../lib/api';
import type { AuditEvent } from '../../../lib/audit';
import type { BadField } from '../../../lib/audit-params';
import { aggregateLabel, hashPrefix, prettyJson } from '../../../lib/audit-view';
import { formatDate } from '../../../lib/format';

/** The page a signed-in account without the auditor role gets instead of any audit data. */
export function Forbidden() {
  return <AccessDenied reason="the audit pages are for auditors" />;
}

/** What query-api or the projectors app said when a read or an action failed, as an alert. */
export function ProblemAlert({ what, problem }: { readonly what: string; readonly problem: Problem }) {
  const named = problem.errors[0];
  return (
    <p role="alert" className="alert">
      {`${what}: ${problem.detail ?? problem.title}${named ? ` (${named.field.replace(/^(query|path|body)\./, '')}: ${named.message})` : ''}`}
    </p>
  );
}

/** A bad URL value the page refused to send, as an alert tied to its input by id. */
export function BadFieldAlert({ bad, id }: { readonly bad: BadField; readonly id: string }) {
  return (
    <p role="alert" className="alert" id={id}>
      {bad.message}
    </p>
  );
}

interface InputProps {
  readonly id: string;
  readonly name: string;
  readonly label: string;
  readonly defaultValue?: string | number;
  readonly type?: 'text' | 'number' | 'datetime-local';
  readonly hint?: string;
  readonly bad?: BadField;
  readonly errorId?: string;
  readonly min?: number;
  readonly step?: number;
}

/** A labelled input; when the URL's value for it was refused, it is marked invalid and tied to the alert. */
export function AuditInput(props: InputProps) {
  const invalid = props.bad?.field === props.name;
  const hintId = `${props.id}-hint`;
  const describedBy = [props.hint ? hintId : undefined, invalid ? props.errorId : undefined]
    .filter(Boolean)
    .join(' ');
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.name}
        type={props.type ?? 'text'}
        defaultValue={props.defaultValue}
        min={props.min}
        step={props.step}
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy || undefined}
      />
      {props.hint ? (
        <span id={hintId} className="muted">
          {props.hint}
        </span>
      ) : null}
    </div>
  );
}

/** JSON in a focusable, labelled region (it may scroll, and a keyboard user must be able to scroll it). */
export function JsonBlock({ value, label }: { readonly value: unknown; readonly label: string }) {
  return (
    <pre tabIndex={0} role="region" aria-label={label}>
      <code>{prettyJson(value)}</code>
    </pre>
  );
}

export const streamHref = (streamId: string) => `/audit/streams/${encodeURIComponent(streamId)}`;
export const correlationHref = (correlationId: string) =>
  `/audit/correlations/${encodeURIComponent(correlationId)}`;

/** Which columns an event table shows: a stream's timeline needs no stream column, a search needs all. */
interface EventTableProps {
  readonly caption: string;
  readonly events: readonly AuditEvent[];
  readonly showStream?: boolean;
  readonly showCorrelation?: boolean;
  readonly footer?: ReactNode;
}

/**
 * Events as a table: version, type, who (actor id and role), when it was recorded, and the first characters
 * of its hash; each row links to its stream and its correlation story.
 */
export function EventTable(props: EventTableProps) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label={props.caption}>
      <table>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            {props.showStream ? <th scope="col">Stream</th> : null}
            <th scope="col">Version</th>
            <th scope="col">Event</th>
            <th scope="col">Actor</th>
            <th scope="col">Recorded (UTC)</th>
            <th scope="col">Hash</th>
            {props.showCorrelation ? <th scope="col">Story</th> : null}
          </tr>
        </thead>
        <tbody>
          {props.events.map((event) => (
            <tr key={event.eventId}>
              {props.showStream ? (
                <td>
                  <Link href={streamHref(event.streamId)}>
                    <span className="muted">{`${aggregateLabel(event.streamId)} `}</span>
                    <code>{event.streamId}</code>
                  </Link>
                </td>
              ) : null}
              <td>{event.version}</td>
              <th scope="row">{event.type}</th>
              <td>
                <code>{event.actor.id}</code>
                <span className="muted">{` (${event.actor.role})`}</span>
              </td>
              <td>
                <time dateTime={event.recordedAt}>{formatDate(event.recordedAt)}</time>
              </td>
              <td>
                <code title={event.hash}>{hashPrefix(event.hash)}</code>
              </td>
              {props.showCorrelation ? (
                <td>
                  <Link
                    href={correlationHref(event.correlationId)}
                    aria-label={`Correlation story of ${event.type} ${event.streamId} version ${event.version}`}
                  >
                    Correlation story
                  </Link>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {props.footer}
    </div>
  );
}
