import { PgSqlClient } from '@tally/database';
import { type NewEvent, PostgresEventStore, uuidv7 } from '@tally/event-store';

/** One stored event as the checkout tests look at it. */
export interface StoredEvent {
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/**
 * Reads (and, for the one case the API cannot produce, writes) the event store of a running Tally in
 * full mode: the source of truth the checkout tests check the read models and the processes against.
 */
export class StoreProbe {
  readonly store: PostgresEventStore;

  private constructor(readonly sql: PgSqlClient) {
    this.store = new PostgresEventStore(sql, { pollIntervalMs: 50 });
  }

  static open(databaseUrl: string): StoreProbe {
    return new StoreProbe(new PgSqlClient({ connectionString: databaseUrl, maxConnections: 2 }));
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.sql.close();
  }

  /** Every event of one stream, in version order. */
  async stream(streamId: string): Promise<StoredEvent[]> {
    const events = await this.store.readStream(streamId);
    return events.map(({ streamId: id, version, type, data }) => ({
      streamId: id,
      version,
      type,
      data: data as Record<string, unknown>,
    }));
  }

  /** Events of these types whose `data.orderId` is one of `orderIds` (all orders when omitted). */
  async ofTypes(types: readonly string[], orderIds?: readonly string[]): Promise<StoredEvent[]> {
    const { rows } = await this.sql.query<StoredEvent>(
      `SELECT stream_id AS "streamId", version, type, data FROM events
       WHERE type = ANY($1::text[]) AND ($2::text[] IS NULL OR data->>'orderId' = ANY($2::text[]))
       ORDER BY position`,
      [types, orderIds ?? null],
    );
    return rows;
  }

  /** How many events of `type` concern these orders. */
  async count(type: string, orderIds?: readonly string[]): Promise<number> {
    return (await this.ofTypes([type], orderIds)).length;
  }

  /** Every event that names this order, in its stream id or as `data.orderId`, in log order. */
  async concerning(orderId: string): Promise<StoredEvent[]> {
    const { rows } = await this.sql.query<StoredEvent>(
      `SELECT stream_id AS "streamId", version, type, data FROM events
       WHERE data->>'orderId' = $1 OR strpos(stream_id, $1) > 0
       ORDER BY position`,
      [orderId],
    );
    return rows;
  }

  /** Every event in the store. */
  async total(): Promise<number> {
    const { rows } = await this.sql.query<{ n: string }>('SELECT count(*) AS n FROM events');
    return Number(rows[0]?.n ?? 0);
  }

  /** Checkout process instances not yet finished (the sagas app's `process_instances`). */
  async activeCheckouts(orderIds: readonly string[]): Promise<number> {
    const { rows } = await this.sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM process_instances
       WHERE process = 'checkout' AND status = 'active' AND instance = ANY($1::text[])`,
      [orderIds],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Appends `type` with `data` as a new stream's first event, as a command handler would. */
  async appendNew(streamId: string, type: string, data: NewEvent['data']): Promise<void> {
    const eventId = uuidv7();
    await this.store.append(
      streamId,
      [
        {
          eventId,
          type,
          data,
          metadata: {
            commandId: eventId,
            correlationId: eventId,
            causationId: eventId,
            actor: { id: 'e2e-test', role: 'system' },
            occurredAt: new Date().toISOString(),
            schemaVersion: 1,
          },
        },
      ],
      { expectedVersion: 0 },
    );
  }
}

/** What happened to one order's reservation on a stock item. */
export type ReservationState = 'held' | 'released' | 'committed';

/** A stock stream replayed: what is on hand, available, and what each order's reservation became. */
export interface StockLedger {
  readonly onHand: number;
  readonly available: number;
  /** The lowest `available` seen after any event: never below 0 if nothing was oversold. */
  readonly lowestAvailable: number;
  readonly reservations: ReadonlyMap<string, { readonly quantity: number; readonly state: ReservationState }>;
  /** Orders refused for lack of stock. */
  readonly rejected: readonly string[];
  /** Events that contradict the ledger (a second reservation, a release of nothing, ...). */
  readonly anomalies: readonly string[];
}

/**
 * Replays a stock stream (`stock-<sku>`) event by event, independently of the decider: received and
 * adjusted units go on hand; a reservation holds units (available = on hand - held); a release gives them
 * back; a commit takes them off the shelf. Every step is checked, so an oversell shows as a negative
 * `lowestAvailable` and a double application as an anomaly.
 */
export function replayStock(events: readonly StoredEvent[]): StockLedger {
  let onHand = 0;
  let held = 0;
  let lowestAvailable = 0;
  const reservations = new Map<string, { quantity: number; state: ReservationState }>();
  const rejected: string[] = [];
  const anomalies: string[] = [];
  for (const { type, data, version } of events) {
    const orderId = String(data.orderId);
    const quantity = Number(data.quantity);
    const current = reservations.get(orderId);
    switch (type) {
      case 'StockReceived':
        onHand += quantity;
        break;
      case 'StockAdjusted':
        onHand += Number(data.delta);
        break;
      case 'StockReserved':
        if (current) anomalies.push(`v${version}: second reservation for ${orderId}`);
        reservations.set(orderId, { quantity, state: 'held' });
        held += quantity;
        break;
      case 'StockReservationRejected':
        rejected.push(orderId);
        break;
      case 'StockReservationReleased':
      case 'StockReservationCommitted':
        if (current?.state !== 'held' || current.quantity !== quantity) {
          anomalies.push(
            `v${version}: ${type} of ${quantity} for ${orderId}, which holds ${JSON.stringify(current)}`,
          );
          break;
        }
        held -= quantity;
        if (type === 'StockReservationCommitted') onHand -= quantity;
        reservations.set(orderId, {
          quantity,
          state: type === 'StockReservationCommitted' ? 'committed' : 'released',
        });
        break;
      default:
        anomalies.push(`v${version}: unexpected ${type}`);
    }
    lowestAvailable = Math.min(lowestAvailable, onHand - held);
  }
  return { onHand, available: onHand - held, lowestAvailable, reservations, rejected, anomalies };
}

/** Where a batch of checkouts ended up, from the store. */
export interface CheckoutOutcome {
  readonly confirmed: readonly string[];
  /** Cancelled order ids by cancellation reason. */
  readonly cancelled: Readonly<Record<string, readonly string[]>>;
}

/**
 * Waits until every order is done with checkout: confirmed with its payment captured and recorded on the
 * order, or cancelled with its process finished (every reservation released, any hold voided).
 */
export async function waitForCheckouts(
  probe: StoreProbe,
  orderIds: readonly string[],
  timeoutMs = 120_000,
): Promise<CheckoutOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await probe.ofTypes(
      ['OrderConfirmed', 'OrderCancelled', 'OrderPaymentCaptured'],
      orderIds,
    );
    const of = (type: string) => events.filter((event) => event.type === type);
    const captured = new Set(of('OrderPaymentCaptured').map((event) => String(event.data.orderId)));
    const confirmed = of('OrderConfirmed').map((event) => String(event.data.orderId));
    const cancelledIds: string[] = [];
    const cancelled: Record<string, string[]> = {};
    for (const event of of('OrderCancelled')) {
      const orderId = String(event.data.orderId);
      cancelledIds.push(orderId);
      (cancelled[String(event.data.reason)] ??= []).push(orderId);
    }
    const done =
      confirmed.length + cancelledIds.length >= orderIds.length &&
      confirmed.every((orderId) => captured.has(orderId)) &&
      (await probe.activeCheckouts(cancelledIds)) === 0;
    if (done) return { confirmed, cancelled };
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${orderIds.length} checkouts to finish: ` +
          `${confirmed.length} confirmed (${captured.size} captured), ${cancelledIds.length} cancelled`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Checks, from the store alone, that a batch of checkouts was applied exactly once and leaked nothing:
 * every order placed once and decided once (confirmed or cancelled, never both); on every SKU no unit
 * oversold and no event applied twice; a confirmed order holds (or has committed) exactly its quantity of
 * each SKU and was captured once; a cancelled order holds nothing and was never captured.
 */
export async function expectExactlyOnce(
  probe: StoreProbe,
  orderIds: readonly string[],
  skus: readonly string[],
): Promise<CheckoutOutcome> {
  const events = await probe.ofTypes(
    ['OrderPlaced', 'OrderConfirmed', 'OrderCancelled', 'PaymentCaptured', 'OrderPaymentCaptured'],
    orderIds,
  );
  const counts = (type: string) => {
    const byOrder = new Map<string, number>();
    for (const event of events.filter((candidate) => candidate.type === type)) {
      const orderId = String(event.data.orderId);
      byOrder.set(orderId, (byOrder.get(orderId) ?? 0) + 1);
    }
    return (orderId: string) => byOrder.get(orderId) ?? 0;
  };
  const placed = counts('OrderPlaced');
  const confirmedCount = counts('OrderConfirmed');
  const cancelledCount = counts('OrderCancelled');
  const paymentCaptured = counts('PaymentCaptured');
  const orderCaptured = counts('OrderPaymentCaptured');
  const wrong = orderIds.filter(
    (orderId) => placed(orderId) !== 1 || confirmedCount(orderId) + cancelledCount(orderId) !== 1,
  );
  expect(wrong).toEqual([]);

  const confirmed = orderIds.filter((orderId) => confirmedCount(orderId) === 1);
  const cancelled: Record<string, string[]> = {};
  for (const event of events.filter((candidate) => candidate.type === 'OrderCancelled')) {
    (cancelled[String(event.data.reason)] ??= []).push(String(event.data.orderId));
  }
  expect(
    confirmed.filter((orderId) => paymentCaptured(orderId) !== 1 || orderCaptured(orderId) !== 1),
  ).toEqual([]);
  expect(
    Object.values(cancelled)
      .flat()
      .filter((orderId) => paymentCaptured(orderId) !== 0),
  ).toEqual([]);

  const ordered = new Map<string, Map<string, number>>();
  for (const event of events.filter((candidate) => candidate.type === 'OrderPlaced')) {
    const lines = event.data.lines as readonly { sku: string; quantity: number }[];
    const perSku = new Map<string, number>();
    for (const line of lines) perSku.set(line.sku, (perSku.get(line.sku) ?? 0) + line.quantity);
    ordered.set(String(event.data.orderId), perSku);
  }
  const isConfirmed = new Set(confirmed);
  for (const sku of skus) {
    const ledger = replayStock(await probe.stream(`stock-${sku}`));
    expect({
      sku,
      anomalies: ledger.anomalies,
      lowestAvailable: Math.min(ledger.lowestAvailable, 0),
    }).toEqual({
      sku,
      anomalies: [],
      lowestAvailable: 0,
    });
    const leaks: string[] = [];
    for (const orderId of orderIds) {
      const wanted = ordered.get(orderId)?.get(sku);
      if (wanted === undefined) continue;
      const reservation = ledger.reservations.get(orderId);
      const holds = reservation !== undefined && reservation.state !== 'released';
      if (isConfirmed.has(orderId) && (!holds || reservation.quantity !== wanted)) {
        leaks.push(`${orderId} confirmed but holds ${JSON.stringify(reservation)} of ${wanted} ${sku}`);
      }
      if (!isConfirmed.has(orderId) && holds) {
        leaks.push(`${orderId} cancelled but still holds ${reservation.quantity} ${sku}`);
      }
    }
    expect(leaks).toEqual([]);
  }
  return { confirmed, cancelled };
}
