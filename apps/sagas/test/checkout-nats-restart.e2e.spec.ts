import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { eventStreamName, startNatsTestServer, type NatsTestServer } from '@tally/messaging';
import { httpRequest, mapLimit, type RunningTally, ShopClient, startFull, waitUntil } from '@tally/testing';
import { randomUUID } from 'node:crypto';
import { expectExactlyOnce, StoreProbe, waitForCheckouts } from './store-probe';

// (e) NATS killed (SIGKILL) and restarted in the middle of a burst of checkouts. The run uses a private
// nats-server of its own (file storage in a temp dir), so killing it disturbs no other test.

jest.setTimeout(180_000);

describe('checkout in full mode, when NATS restarts during a burst', () => {
  let nats: NatsTestServer;
  let tally: RunningTally;
  let shop: ShopClient;
  let probe: StoreProbe;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    nats = await startNatsTestServer();
    cleanups.unshift(() => nats.stop());
    tally = await startFull({ natsUrl: nats.url });
    cleanups.unshift(() => tally.stop());
    shop = new ShopClient(tally);
    probe = StoreProbe.open(tally.databaseUrl ?? '');
    cleanups.unshift(() => probe.close());
  });

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('(e) loses no checkout and applies none twice', async () => {
    const run = randomUUID().slice(0, 8).toUpperCase();
    const skus = [`BURST-A-${run}`, `BURST-B-${run}`];
    await shop.stockProduct(skus[0] ?? '', 20);
    await shop.stockProduct(skus[1] ?? '', 8);
    // 40 shoppers: 24 want one unit of A (20 in stock), 16 want one of A and one of B (8 of B in stock).
    const lines = Array.from({ length: 40 }, (_, i) =>
      i < 24
        ? [{ sku: skus[0] ?? '', quantity: 1 }]
        : [
            { sku: skus[0] ?? '', quantity: 1 },
            { sku: skus[1] ?? '', quantity: 1 },
          ],
    );
    const carts = await mapLimit(lines, 8, (cartLines) => shop.cart(cartLines));
    const checkOut = (from: number, to: number) =>
      mapLimit(carts.slice(from, to), 4, (cartId) => shop.placeOrder(cartId));

    // The burst: checkouts arrive before, during and after the outage (command-api takes them over HTTP
    // into PostgreSQL; the relay, the sagas consumers and the command replies all lose NATS meanwhile).
    const before = await checkOut(0, 15);
    await waitUntil('checkouts under way', async () => (await probe.count('OrderPlaced')) >= 5, 60_000, 20);
    await nats.kill('SIGKILL');
    const during = await checkOut(15, 30);
    await waitUntil('the relay to report NATS down', async () => {
      const ready = await httpRequest('GET', `${tally.projectors}/readyz`);
      return ready.status === 503;
    });
    await nats.restart();
    const after = await checkOut(30, 40);
    const orderIds = [...before, ...during, ...after];

    const outcome = await waitForCheckouts(probe, orderIds, 120_000);
    const exact = await expectExactlyOnce(probe, orderIds, skus);
    expect(new Set(exact.confirmed)).toEqual(new Set(outcome.confirmed));
    const cancelled = Object.values(outcome.cancelled).flat();
    expect(outcome.confirmed.length + cancelled.length).toBe(40);
    expect(Object.keys(outcome.cancelled).filter((reason) => reason !== 'out_of_stock')).toEqual([]);
    // What is left on the shelf is exactly what the confirmed orders did not take.
    const wantsB = (orderId: string) => lines[orderIds.indexOf(orderId)]?.length === 2;
    const soldOfB = outcome.confirmed.filter(wantsB).length;
    const available = async (sku: string) =>
      (await shop.query<{ available: number }>(`/api/v1/inventory/${sku}`)).body.available;
    await waitUntil('the stock read model to catch up', async () => {
      return (
        (await available(skus[0] ?? '')) === 20 - outcome.confirmed.length &&
        (await available(skus[1] ?? '')) === 8 - soldOfB
      );
    });
    expect(soldOfB).toBeLessThanOrEqual(8);
    expect(outcome.confirmed.length).toBeGreaterThan(0);

    // The relay published every stored event to JetStream exactly once, across the restart.
    const connection = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(connection);
      await waitUntil('the relay to catch up', async () => {
        const info = await jsm.streams.info(eventStreamName(tally.natsPrefix ?? ''));
        return info.state.messages === (await probe.total());
      });
    } finally {
      await connection.close();
    }
  });
});
