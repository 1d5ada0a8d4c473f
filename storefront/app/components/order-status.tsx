'use client';

import { useEffect, useState } from 'react';

/**
 * The order's status, kept current without a reload: server-sent events from /orders/<id>/events, or polling
 * the same route for JSON when EventSource is missing or fails. `role=status` announces each change.
 */
export function OrderStatus({ orderId, initial }: { readonly orderId: string; readonly initial: string }) {
  const [status, setStatus] = useState(initial);

  useEffect(() => {
    const url = `/orders/${encodeURIComponent(orderId)}/events`;
    let timer: ReturnType<typeof setInterval> | undefined;
    const poll = () => {
      timer ??= setInterval(() => {
        fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' })
          .then((response) => (response.ok ? (response.json() as Promise<{ status: string | null }>) : null))
          .then((body) => {
            if (body?.status) setStatus(body.status);
          })
          .catch(() => undefined);
      }, 2000);
    };
    if (typeof EventSource === 'undefined') {
      poll();
      return () => {
        clearInterval(timer);
      };
    }
    const source = new EventSource(url);
    let failures = 0;
    source.addEventListener('status', (event) => {
      failures = 0;
      const data = JSON.parse((event as MessageEvent<string>).data) as { status?: string };
      if (data.status) setStatus(data.status);
    });
    source.onerror = () => {
      failures += 1;
      if (failures >= 3) {
        source.close();
        poll();
      }
    };
    return () => {
      source.close();
      clearInterval(timer);
    };
  }, [orderId]);

  return (
    <span role="status" aria-live="polite" className="status">
      {status}
    </span>
  );
}
