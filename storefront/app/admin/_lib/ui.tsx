import Link from 'next/link';
import type { ReactNode } from 'react';
import type { Outcome } from './admin';

/** What the last action did: a notice (role=status) or a problem (role=alert), from the URL. */
export function OutcomeMessages({ outcome }: { readonly outcome: Outcome }) {
  return (
    <>
      {outcome.error ? (
        <p role="alert" className="alert">
          {outcome.error}
        </p>
      ) : null}
      {outcome.notice ? (
        <p role="status" className="notice">
          {outcome.notice}
        </p>
      ) : null}
    </>
  );
}

interface FieldProps {
  readonly id: string;
  readonly name: string;
  readonly label: string;
  readonly outcome: Outcome;
  readonly defaultValue?: string | number;
  readonly type?: 'text' | 'number' | 'email';
  readonly required?: boolean;
  readonly hint?: string;
  readonly inputMode?: 'decimal' | 'numeric' | 'text';
  readonly pattern?: string;
  readonly maxLength?: number;
  readonly multiline?: boolean;
}

/**
 * A labelled input; when the last action's problem named it, it is marked invalid and the message is tied
 * to it (`aria-describedby`), so a screen reader announces it on focus.
 */
export function Field(props: FieldProps) {
  const invalid = props.outcome.field === props.name && props.outcome.error !== undefined;
  const hintId = `${props.id}-hint`;
  const errorId = `${props.id}-error`;
  const describedBy = [props.hint ? hintId : undefined, invalid ? errorId : undefined]
    .filter(Boolean)
    .join(' ');
  const common = {
    id: props.id,
    name: props.name,
    defaultValue: props.defaultValue,
    required: props.required,
    maxLength: props.maxLength,
    'aria-invalid': invalid || undefined,
    'aria-describedby': describedBy || undefined,
  };
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {props.multiline ? (
        <textarea rows={3} {...common} />
      ) : (
        <input type={props.type ?? 'text'} inputMode={props.inputMode} pattern={props.pattern} {...common} />
      )}
      {props.hint ? (
        <span id={hintId} className="muted">
          {props.hint}
        </span>
      ) : null}
      {invalid ? (
        <span id={errorId} className="field-error">
          {props.outcome.error}
        </span>
      ) : null}
    </div>
  );
}

/** The hidden fields every admin form carries: the CSRF token and a request id (a double submit is one command). */
export function FormGuard({ csrf, requestId }: { readonly csrf: string; readonly requestId?: string }) {
  return (
    <>
      <input type="hidden" name="csrf" value={csrf} />
      {requestId ? <input type="hidden" name="requestId" value={requestId} /> : null}
    </>
  );
}

/** Links to the pages of a paged list, with the current one marked. */
export function Pagination(props: {
  readonly page: number;
  readonly pages: number;
  readonly href: (page: number) => string;
  readonly label: string;
}): ReactNode {
  if (props.pages <= 1) return null;
  const shown = [...new Set([1, props.page - 1, props.page, props.page + 1, props.pages])]
    .filter((page) => page >= 1 && page <= props.pages)
    .sort((a, b) => a - b);
  return (
    <nav className="pagination" aria-label={props.label}>
      <ul>
        {props.page > 1 ? (
          <li>
            <Link href={props.href(props.page - 1)}>Previous page</Link>
          </li>
        ) : null}
        {shown.map((page) => (
          <li key={page}>
            <Link href={props.href(page)} aria-current={page === props.page ? 'page' : undefined}>
              {`Page ${page}`}
            </Link>
          </li>
        ))}
        {props.page < props.pages ? (
          <li>
            <Link href={props.href(props.page + 1)}>Next page</Link>
          </li>
        ) : null}
      </ul>
    </nav>
  );
}
