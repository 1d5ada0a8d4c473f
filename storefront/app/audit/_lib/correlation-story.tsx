import Link from 'next/link';
import type { CorrelationStory } from '../../../lib/audit';
import { aggregateLabel } from '../../../lib/audit-view';
import { EventTable, streamHref } from './ui';

/**
 * One business story told by its events: the streams it touched (labelled by aggregate, with how many of
 * its events each holds), then every event across them in the order the log recorded them.
 */
export function CorrelationStoryView({ story }: { readonly story: CorrelationStory }) {
  const ordered = [...story.events].sort((a, b) => comparePositions(a.position, b.position));
  const counts = new Map<string, number>();
  for (const event of ordered) counts.set(event.streamId, (counts.get(event.streamId) ?? 0) + 1);
  const streams = [...new Set([...story.streams, ...counts.keys()])];
  return (
    <>
      {story.truncated ? (
        <p role="status" className="notice">
          {`This story has more events than one page holds: the first ${ordered.length} are shown. Search by correlation id to page through them all.`}
        </p>
      ) : null}
      <section aria-labelledby="story-streams">
        <h2 id="story-streams">{`Streams (${streams.length})`}</h2>
        <ul className="audit-streams">
          {streams.map((streamId) => (
            <li key={streamId}>
              <Link href={streamHref(streamId)}>
                {`${aggregateLabel(streamId)}: `}
                <code>{streamId}</code>
              </Link>
              <span className="muted">{` (${counts.get(streamId) ?? 0} ${(counts.get(streamId) ?? 0) === 1 ? 'event' : 'events'})`}</span>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="story-events">
        <h2 id="story-events">Events in the order they were recorded</h2>
        {ordered.length === 0 ? (
          <p role="status">No events carry this correlation id.</p>
        ) : (
          <EventTable
            caption={`${ordered.length} events across ${streams.length} streams`}
            events={ordered}
            showStream
          />
        )}
      </section>
    </>
  );
}

/** Positions are opaque strings that order totally; numeric ones compare as numbers, others as text. */
function comparePositions(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const difference = BigInt(a) - BigInt(b);
    return difference === 0n ? 0 : difference < 0n ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
