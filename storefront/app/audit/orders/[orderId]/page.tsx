import type { Metadata } from 'next';
import Link from 'next/link';
import { auditorOrForbidden, readAuditStream, readCorrelation } from '../../../../lib/audit';
import { isUuid, routeParam } from '../../../../lib/audit-params';
import { CorrelationStoryView } from '../../_lib/correlation-story';
import { correlationHref, Forbidden, ProblemAlert, streamHref } from '../../_lib/ui';

export const metadata: Metadata = { title: 'Order story' };

type Props = { readonly params: Promise<{ orderId: string }> };

/**
 * The story of one order's checkout: the correlation id of the order stream's first event (the request that
 * placed it) leads to every event it caused in the cart, order, payment and stock streams.
 */
export default async function AuditOrderStoryPage({ params }: Props) {
  const orderId = routeParam((await params).orderId);
  const auditor = await auditorOrForbidden(`/audit/orders/${encodeURIComponent(orderId)}`);
  if (auditor === 'forbidden') return <Forbidden />;
  const streamId = `order-${orderId}`;
  const first = isUuid(orderId) ? await readAuditStream(streamId, 1, 1) : undefined;
  const placed = first?.ok ? first.data.events[0] : undefined;
  if (!placed)
    return (
      <>
        <h1>Order story</h1>
        {first && !first.ok && first.status !== 404 ? (
          <ProblemAlert what="The order could not be read" problem={first.problem} />
        ) : (
          <p role="alert" className="alert">
            {`There is no order ${orderId}.`}
          </p>
        )}
        <p>
          <Link href="/audit">Search events</Link>
        </p>
      </>
    );
  const story = await readCorrelation(placed.correlationId);
  return (
    <>
      <p>
        <Link href={streamHref(streamId)}>The order stream&apos;s timeline</Link>
        {' · '}
        <Link href={correlationHref(placed.correlationId)}>Permalink to this story</Link>
      </p>
      <h1>{`Order story ${orderId}`}</h1>
      <p className="muted">
        {`Everything the request that placed the order (${placed.type}) caused, across every stream, by correlation id `}
        <code>{placed.correlationId}</code>.
      </p>
      {story.ok ? (
        <CorrelationStoryView story={story.data} />
      ) : (
        <ProblemAlert what="The story could not be read" problem={story.problem} />
      )}
    </>
  );
}
