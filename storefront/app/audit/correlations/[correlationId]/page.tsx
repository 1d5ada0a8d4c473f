import type { Metadata } from 'next';
import Link from 'next/link';
import { auditorOrForbidden, readCorrelation } from '../../../../lib/audit';
import { isCorrelationId, routeParam } from '../../../../lib/audit-params';
import { CorrelationStoryView } from '../../_lib/correlation-story';
import { correlationHref, Forbidden, ProblemAlert } from '../../_lib/ui';

export const metadata: Metadata = { title: 'Correlation story' };

type Props = { readonly params: Promise<{ correlationId: string }> };

/** Every event that shares one correlation id, across every stream it touched: one request's whole story. */
export default async function AuditCorrelationPage({ params }: Props) {
  const correlationId = routeParam((await params).correlationId);
  const auditor = await auditorOrForbidden(correlationHref(correlationId));
  if (auditor === 'forbidden') return <Forbidden />;
  if (!isCorrelationId(correlationId))
    return (
      <>
        <h1>Correlation story</h1>
        <p role="alert" className="alert">
          Correlation id: enter an id of letters, digits, &quot;-&quot;, &quot;_&quot;, &quot;.&quot; or
          &quot;:&quot;.
        </p>
      </>
    );
  const story = await readCorrelation(correlationId);
  return (
    <>
      <p>
        <Link href={`/audit?correlationId=${encodeURIComponent(correlationId)}`}>Search these events</Link>
      </p>
      <h1>Correlation story</h1>
      <p>
        Correlation id <code>{correlationId}</code>
      </p>
      {story.ok ? (
        <CorrelationStoryView story={story.data} />
      ) : (
        <ProblemAlert what="The story could not be read" problem={story.problem} />
      )}
    </>
  );
}
