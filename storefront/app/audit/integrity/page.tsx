import type { Metadata } from 'next';
import Link from 'next/link';
import { auditorOrForbidden, readIntegrity, type Checkpoint, type Verification } from '../../../lib/audit';
import { one, type SearchParams } from '../../../lib/audit-params';
import { hashPrefix } from '../../../lib/audit-view';
import { csrfToken } from '../../../lib/csrf';
import { formatDate } from '../../../lib/format';
import { signCheckpointNow, verifyIntegrityNow } from '../_lib/actions';
import { Forbidden, ProblemAlert, streamHref } from '../_lib/ui';

export const metadata: Metadata = { title: 'Integrity' };

type Props = { readonly searchParams: Promise<SearchParams> };

/**
 * Whether the history can be trusted: the last signed checkpoint (a Merkle root over the log up to a
 * position) and the last verification (every stream's hash chain and the roots recomputed), with buttons to
 * sign a checkpoint and to verify now.
 */
export default async function AuditIntegrityPage({ searchParams }: Props) {
  const auditor = await auditorOrForbidden('/audit/integrity');
  if (auditor === 'forbidden') return <Forbidden />;
  const params = await searchParams;
  const notice = one(params, 'notice')?.slice(0, 300);
  const error = one(params, 'error')?.slice(0, 500);
  const [status, csrf] = await Promise.all([readIntegrity(), csrfToken()]);
  return (
    <>
      <h1>Integrity</h1>
      {error ? (
        <p role="alert" className="alert">
          {error}
        </p>
      ) : null}
      {notice ? (
        <p role="status" className="notice">
          {notice}
        </p>
      ) : null}
      {status.ok ? (
        <>
          <CheckpointView checkpoint={status.data.lastCheckpoint} />
          <VerificationView verification={status.data.lastVerification} />
        </>
      ) : (
        <ProblemAlert what="The integrity status could not be read" problem={status.problem} />
      )}
      <section aria-labelledby="integrity-actions">
        <h2 id="integrity-actions">Check now</h2>
        <div className="audit-actions">
          <form action={signCheckpointNow}>
            <input type="hidden" name="csrf" value={csrf} />
            <button type="submit" className="secondary">
              Sign a checkpoint now
            </button>
          </form>
          <form action={verifyIntegrityNow}>
            <input type="hidden" name="csrf" value={csrf} />
            <button type="submit">Verify now</button>
          </form>
        </div>
        <p className="muted">
          Verifying recomputes every stream&apos;s hash chain and every checkpoint&apos;s root from the stored
          events.
        </p>
      </section>
    </>
  );
}

function CheckpointView({ checkpoint }: { readonly checkpoint: Checkpoint | null }) {
  return (
    <section aria-labelledby="checkpoint-heading">
      <h2 id="checkpoint-heading">Last signed checkpoint</h2>
      {checkpoint ? (
        <dl className="audit-facts">
          <dt>Sequence</dt>
          <dd>{checkpoint.sequence}</dd>
          <dt>Events covered</dt>
          <dd>{`${checkpoint.leafCount} (up to position ${checkpoint.upTo})`}</dd>
          <dt>Merkle root</dt>
          <dd>
            <code title={checkpoint.root}>{hashPrefix(checkpoint.root, 16)}</code>
          </dd>
          <dt>Signed at</dt>
          <dd>
            <time dateTime={checkpoint.createdAt}>{formatDate(checkpoint.createdAt)}</time>
          </dd>
          <dt>Key id</dt>
          <dd>
            <code>{checkpoint.keyId}</code>
          </dd>
        </dl>
      ) : (
        <p>No checkpoint has been signed yet.</p>
      )}
    </section>
  );
}

function VerificationView({ verification }: { readonly verification: Verification | null }) {
  return (
    <section aria-labelledby="verification-heading">
      <h2 id="verification-heading">Last verification</h2>
      {verification ? (
        <>
          <dl className="audit-facts">
            <dt>Outcome</dt>
            <dd>
              {verification.ok ? (
                <span className="verdict-ok">Verified: no broken links</span>
              ) : (
                <span className="verdict-broken">{`Broken: ${verification.breaks.length} broken ${verification.breaks.length === 1 ? 'link' : 'links'}`}</span>
              )}
            </dd>
            <dt>When</dt>
            <dd>
              <time dateTime={verification.finishedAt}>{formatDate(verification.finishedAt)}</time>
            </dd>
            <dt>Scope</dt>
            <dd>{verification.scope}</dd>
            <dt>Checked</dt>
            <dd>{`${verification.eventsChecked} events in ${verification.streamsChecked} streams`}</dd>
            <dt>Against checkpoint</dt>
            <dd>{verification.checkpointSequence ?? 'none'}</dd>
          </dl>
          {verification.breaks.length > 0 ? (
            <table>
              <caption>
                Broken links: the first one per stream, and every checkpoint the log no longer matches
              </caption>
              <thead>
                <tr>
                  <th scope="col">Where</th>
                  <th scope="col">Version</th>
                  <th scope="col">Kind</th>
                  <th scope="col">What</th>
                </tr>
              </thead>
              <tbody>
                {verification.breaks.map((broken, index) => (
                  <tr key={`${broken.streamId ?? broken.sequence ?? 'log'}:${broken.version ?? index}`}>
                    <th scope="row">
                      {broken.streamId ? (
                        <Link href={streamHref(broken.streamId)}>
                          <code>{broken.streamId}</code>
                        </Link>
                      ) : broken.sequence !== undefined ? (
                        `Checkpoint ${broken.sequence}`
                      ) : (
                        'Global log'
                      )}
                    </th>
                    <td>{broken.version ?? '—'}</td>
                    <td>{broken.kind}</td>
                    <td>{broken.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </>
      ) : (
        <p>No verification has run yet.</p>
      )}
    </section>
  );
}
