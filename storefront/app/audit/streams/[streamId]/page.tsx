import type { Metadata } from 'next';
import Link from 'next/link';
import type { ApiResult } from '../../../../lib/api';
import {
  auditorOrForbidden,
  readAuditStream,
  readDiff,
  readState,
  type AuditState,
  type StateDiff,
} from '../../../../lib/audit';
import {
  isStreamId,
  isUuid,
  momentInput,
  one,
  parseStreamChoice,
  routeParam,
  TIMELINE_PAGE_SIZE,
  type SearchParams,
} from '../../../../lib/audit-params';
import { aggregateLabel, prettyJson } from '../../../../lib/audit-view';
import { formatDate } from '../../../../lib/format';
import {
  AuditInput,
  BadFieldAlert,
  correlationHref,
  EventTable,
  Forbidden,
  JsonBlock,
  ProblemAlert,
  streamHref,
} from '../../_lib/ui';

export const metadata: Metadata = { title: 'Stream' };

type Props = {
  readonly params: Promise<{ streamId: string }>;
  readonly searchParams: Promise<SearchParams>;
};

const ERROR_ID = 'stream-error';

/**
 * One stream for auditors: its timeline (every version with type, actor, time and hash), its state as the
 * aggregate's own decider folds it at any version or moment, and what changed between two versions.
 */
export default async function AuditStreamPage({ params, searchParams }: Props) {
  const { streamId: rawStreamId } = await params;
  const streamId = routeParam(rawStreamId);
  const query = await searchParams;
  const auditor = await auditorOrForbidden(streamHref(streamId));
  if (auditor === 'forbidden') return <Forbidden />;
  if (!isStreamId(streamId)) return <NotAStream streamId={streamId} />;

  const choice = parseStreamChoice(query);
  const timeline = await readAuditStream(streamId, choice.fromVersion, TIMELINE_PAGE_SIZE);
  if (!timeline.ok) {
    if (timeline.status === 404) return <NotAStream streamId={streamId} />;
    return (
      <>
        <h1>{`Stream ${streamId}`}</h1>
        <ProblemAlert what="The stream could not be read" problem={timeline.problem} />
      </>
    );
  }
  const stream = timeline.data;
  const latest = stream.version;
  const point = choice.point;
  const diffTo = choice.diff ? Math.min(choice.diff.to ?? latest, latest) : undefined;
  const [state, diff] = await Promise.all([
    readState(
      streamId,
      point.kind === 'asOf'
        ? { asOf: point.asOf }
        : { version: point.kind === 'version' ? point.version : latest },
    ),
    choice.diff && diffTo !== undefined ? readDiff(streamId, choice.diff.from, diffTo) : undefined,
  ]);

  const first = stream.events[0];
  const orderId = streamId.startsWith('order-') ? streamId.slice('order-'.length) : undefined;
  const bad = choice.bad;
  const shownVersion = point.kind === 'version' ? String(point.version) : (one(query, 'version') ?? '');
  const shownAsOf = point.kind === 'asOf' ? momentInput(point.asOf) : (one(query, 'asOf') ?? '');
  const pageHref = (fromVersion: number) => {
    const next = new URLSearchParams();
    for (const name of ['version', 'asOf', 'diffFrom', 'diffTo']) {
      const value = one(query, name);
      if (value) next.set(name, value);
    }
    if (fromVersion > 1) next.set('fromVersion', String(fromVersion));
    const search = next.toString();
    return search ? `${streamHref(streamId)}?${search}` : streamHref(streamId);
  };
  const lastShown = stream.events.at(-1)?.version ?? choice.fromVersion - 1;

  return (
    <>
      <p>
        <Link href={`/audit?streamId=${encodeURIComponent(streamId)}`}>Search this stream&apos;s events</Link>
      </p>
      <h1>{`Stream ${streamId}`}</h1>
      <dl className="audit-facts">
        <dt>Aggregate</dt>
        <dd>{aggregateLabel(streamId)}</dd>
        <dt>Latest version</dt>
        <dd>{latest}</dd>
        {first && choice.fromVersion === 1 ? (
          <>
            <dt>Started</dt>
            <dd>
              {`${formatDate(first.recordedAt)} by ${first.actor.id} (${first.actor.role}) · `}
              {orderId && isUuid(orderId) ? (
                <Link href={`/audit/orders/${orderId}`}>The order&apos;s story</Link>
              ) : (
                <Link href={correlationHref(first.correlationId)}>Correlation story of its first event</Link>
              )}
            </dd>
          </>
        ) : null}
      </dl>
      {bad ? <BadFieldAlert bad={bad} id={ERROR_ID} /> : null}

      <section aria-labelledby="state-heading">
        <h2 id="state-heading">State as of</h2>
        <div className="audit-forms">
          <form action={streamHref(streamId)} aria-label="State as of">
            <fieldset>
              <legend>Show the state at a version or a moment</legend>
              <AuditInput
                id="state-version"
                name="version"
                label="Version"
                type="number"
                min={0}
                hint={`0 (before the first event) to ${latest}`}
                defaultValue={shownVersion}
                bad={bad}
                errorId={ERROR_ID}
              />
              <AuditInput
                id="state-as-of"
                name="asOf"
                label="Date and time (UTC)"
                type="datetime-local"
                step={1}
                defaultValue={shownAsOf}
                bad={bad}
                errorId={ERROR_ID}
              />
              <div className="audit-actions">
                <button type="submit">Show state</button>
                <Link href={streamHref(streamId)}>Latest state</Link>
              </div>
            </fieldset>
          </form>
          <form action={streamHref(streamId)} aria-label="Compare versions">
            <fieldset>
              <legend>Compare two versions</legend>
              {shownVersion ? <input type="hidden" name="version" value={shownVersion} /> : null}
              {!shownVersion && shownAsOf ? <input type="hidden" name="asOf" value={shownAsOf} /> : null}
              <AuditInput
                id="diff-from"
                name="diffFrom"
                label="From version"
                type="number"
                min={0}
                defaultValue={choice.diff?.from ?? 1}
                bad={bad}
                errorId={ERROR_ID}
              />
              <AuditInput
                id="diff-to"
                name="diffTo"
                label="To version"
                type="number"
                min={0}
                defaultValue={diffTo ?? latest}
                bad={bad}
                errorId={ERROR_ID}
              />
              <div className="audit-actions">
                <button type="submit">Compare</button>
              </div>
            </fieldset>
          </form>
        </div>
        <StateView result={state} latest={latest} />
        {diff ? <DiffView result={diff} /> : null}
      </section>

      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline</h2>
        {stream.events.length === 0 ? (
          <p role="status">{`No events from version ${choice.fromVersion} on.`}</p>
        ) : (
          <EventTable
            caption={`Versions ${choice.fromVersion} to ${lastShown} of ${latest}, oldest first`}
            events={stream.events}
            showCorrelation
          />
        )}
        <nav className="pagination" aria-label="Timeline pages">
          <ul>
            {choice.fromVersion > 1 ? (
              <li>
                <Link href={pageHref(Math.max(1, choice.fromVersion - TIMELINE_PAGE_SIZE))}>
                  Earlier versions
                </Link>
              </li>
            ) : null}
            {lastShown < latest ? (
              <li>
                <Link href={pageHref(lastShown + 1)}>Later versions</Link>
              </li>
            ) : null}
          </ul>
        </nav>
      </section>
    </>
  );
}

function NotAStream({ streamId }: { readonly streamId: string }) {
  return (
    <>
      <h1>Stream not found</h1>
      <p role="alert" className="alert">
        {`There is no stream "${streamId}". Stream ids look like order-<id>, cart-<id> or stock-<sku>.`}
      </p>
      <p>
        <Link href="/audit">Search events</Link>
      </p>
    </>
  );
}

function StateView({ result, latest }: { readonly result: ApiResult<AuditState>; readonly latest: number }) {
  if (!result.ok) return <ProblemAlert what="The state could not be folded" problem={result.problem} />;
  const state = result.data;
  const heading =
    state.asOf !== undefined
      ? `State as of ${formatDate(state.asOf)} (version ${state.version})`
      : state.version === latest
        ? `Latest state (version ${state.version})`
        : `State at version ${state.version}`;
  return (
    <>
      <h3 id="state-shown">{heading}</h3>
      <p className="muted">
        {state.recordedAt === null
          ? `The stream did not exist yet: the ${state.aggregate} decider's initial state.`
          : `Folded by the ${state.aggregate} decider from versions 1 to ${state.version}; version ${state.version} was recorded ${formatDate(state.recordedAt)}.`}
      </p>
      <JsonBlock value={state.state} label={heading} />
    </>
  );
}

function DiffView({ result }: { readonly result: ApiResult<StateDiff> }) {
  if (!result.ok) return <ProblemAlert what="The versions could not be compared" problem={result.problem} />;
  const diff = result.data;
  const caption = `Changes from version ${diff.from.version} to version ${diff.to.version}`;
  return (
    <>
      <h3>{caption}</h3>
      {diff.changes.length === 0 ? (
        <p role="status">No differences.</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label={caption}>
          <table>
            <caption>{`${caption}, by ${diff.events.length} ${diff.events.length === 1 ? 'event' : 'events'}: ${diff.events.map((event) => event.type).join(', ')}`}</caption>
            <thead>
              <tr>
                <th scope="col">Path</th>
                <th scope="col">Change</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              {diff.changes.map((change) => (
                <tr key={`${change.op}:${change.path}`}>
                  <th scope="row">
                    <code>{change.path}</code>
                  </th>
                  <td>{change.op}</td>
                  <td>{'from' in change ? <code>{compact(change.from)}</code> : '—'}</td>
                  <td>{'to' in change ? <code>{compact(change.to)}</code> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** A changed value on one line when short, indented when not (it sits in a table cell). */
function compact(value: unknown): string {
  const line = value === undefined ? 'undefined' : JSON.stringify(value);
  return line.length <= 80 ? line : prettyJson(value);
}
