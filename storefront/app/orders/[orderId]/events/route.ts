import { queryApi } from '../../../../lib/api';
import { orderStatusText } from '../../../../lib/format';
import type { Order } from '../../../../lib/types';

const POLL_MS = 1000;
/** A stream ends after this; EventSource reconnects by itself, which re-checks access. */
const STREAM_MS = 5 * 60 * 1000;

/**
 * The order's status as server-sent events (`event: status`, data `{"status":"Shipped"}`), one each time it
 * changes, by polling query-api with the caller's identity; with `Accept: application/json` (the polling
 * fallback) the current status once. Access is query-api's: a 404 there is a 404 here.
 */
export async function GET(
  request: Request,
  { params }: { params: Promise<{ orderId: string }> },
): Promise<Response> {
  const { orderId } = await params;
  const path = `/api/v1/orders/${encodeURIComponent(orderId)}`;
  const first = await queryApi<Order>(path);
  if (!first.ok)
    return Response.json({ status: null }, { status: first.status === 404 ? 404 : first.status });
  const statusOf = (order: Order) => orderStatusText(order.status, order.payment.status);

  if (!(request.headers.get('accept') ?? '').includes('text/event-stream'))
    return Response.json({ status: statusOf(first.data) }, { headers: { 'cache-control': 'no-store' } });

  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      let last = statusOf(first.data);
      const send = (status: string) => {
        controller.enqueue(encoder.encode(`event: status\ndata: ${JSON.stringify({ status })}\n\n`));
      };
      send(last);
      const deadline = Date.now() + STREAM_MS;
      // A function, so the check after each wait reads the signal again.
      const gone = () => request.signal.aborted;
      while (!gone() && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        if (gone()) break;
        // No consistency token: each poll reads the latest projection; a change shows on the next tick.
        const next = await queryApi<Order>(path, { consistency: null });
        if (!next.ok) continue;
        const status = statusOf(next.data);
        if (status !== last) {
          last = status;
          send(status);
        } else {
          controller.enqueue(encoder.encode(': keep-alive\n\n'));
        }
      }
      try {
        controller.close();
      } catch {
        // Already closed by the client going away.
      }
    },
  });
  return new Response(stream, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    },
  });
}
