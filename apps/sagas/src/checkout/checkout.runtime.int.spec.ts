import { type CartLineSnapshot, type CheckoutSettings, checkoutStreamId, orderTotals } from '@tally/domain';
import { uuidv7 } from '@tally/event-store';
import { deterministicCommandId } from '@tally/messaging';
import {
  ManualClock,
  RecordingCommandSender,
  type SagasHarness,
  startSagasHarness,
} from '../testing/sagas.harness';
import { TimeoutPoller } from '../runtime/timeout-poller';
import { checkoutDefinition } from './checkout.definition';

// The real checkout process manager in the runtime, on PostgreSQL. Its inputs are appended as command-api
// would append them; its commands are recorded (command-api's side is covered by the end-to-end tests).
const settings: CheckoutSettings = { paymentTimeoutMs: 15 * 60_000, taxRateBasisPoints: 2000 };
const checkout = checkoutDefinition(settings);
const eur = (amount: number) => ({ amount, currency: 'EUR' });
const line = (sku: string, quantity: number): CartLineSnapshot => ({
  sku,
  name: sku,
  quantity,
  unitPrice: eur(1000),
  lineTotal: eur(1000 * quantity),
});
const shippingMethod = { id: 'standard', name: 'Standard', price: eur(495) };
const shippingAddress = { name: 'Ada', line1: '1 Main St', city: 'London', postalCode: 'N1', country: 'GB' };

describe('checkout in the process runtime (PostgreSQL)', () => {
  let h: SagasHarness;
  let commands: RecordingCommandSender;
  let clock: ManualClock;
  let orderId: string;
  let skuA: string;
  let skuB: string;

  beforeEach(async () => {
    h = await startSagasHarness(['checkout']);
    commands = new RecordingCommandSender();
    clock = new ManualClock();
    orderId = uuidv7();
    skuA = `A-${uuidv7()}`;
    skuB = `B-${uuidv7()}`;
  });

  afterEach(async () => {
    await h.close();
  });

  const idOf = (key: string) => deterministicCommandId(checkoutStreamId(orderId), key);
  const sentKeys = (sender = commands) =>
    sender.sent.map((command) => [command.type, command.metadata.commandId]);

  // Two lines share SKU A: the process reserves their sum in one reservation.
  const lines = () => [line(skuA, 2), line(skuB, 1), line(skuA, 3)];

  const cartCheckedOut = () =>
    h.append(`cart-${uuidv7()}`, 'CartCheckedOut', {
      cartId: uuidv7(),
      orderId,
      lines: lines(),
      total: eur(6000),
      customerId: null,
      checkout: {
        email: 'ada@example.com',
        shippingAddress,
        shippingMethod,
        paymentMethodId: 'pm_card_visa',
      },
    });

  const orderPlaced = () =>
    h.append(`order-${orderId}`, 'OrderPlaced', {
      orderId,
      cartId: uuidv7(),
      customerId: null,
      email: 'ada@example.com',
      lines: lines(),
      shippingAddress,
      shippingMethod,
      taxRateBasisPoints: 2000,
      totals: orderTotals(lines(), shippingMethod, 2000),
      paymentMethodId: 'pm_card_visa',
      placedAt: clock.now().toISOString(),
    });

  it('places the order once for a checked-out cart, however often the cart event is delivered', async () => {
    const runtime = h.runtime(checkout, commands, { now: clock.now });
    const input = await cartCheckedOut();

    await runtime.handle(input);
    await runtime.handle(input);

    expect(await h.stream(checkoutStreamId(orderId))).toHaveLength(1);
    expect(sentKeys()).toEqual([
      ['PlaceOrder', idOf('place-order')],
      ['PlaceOrder', idOf('place-order')],
    ]);
    expect(commands.sent[0]?.metadata).toMatchObject({
      actor: { id: 'checkout', role: 'system' },
      causationId: input.eventId,
      correlationId: input.metadata.correlationId,
    });
  });

  it('reserves the sum of lines that share a SKU and schedules the payment timeout', async () => {
    const runtime = h.runtime(checkout, commands, { now: clock.now });
    await runtime.handle(await cartCheckedOut());

    await runtime.handle(await orderPlaced());

    expect(commands.ofType('ReserveStock').map((command) => command.data)).toEqual([
      { sku: skuA, orderId, quantity: 5 },
      { sku: skuB, orderId, quantity: 1 },
    ]);
    const { rows } = await h.db.client.query<{ key: string; due_at: Date }>(
      'SELECT key, due_at FROM process_timeouts WHERE process = $1 AND instance = $2',
      ['checkout', orderId],
    );
    expect(rows).toEqual([
      { key: 'payment-timeout', due_at: new Date(clock.now().getTime() + settings.paymentTimeoutMs) },
    ]);
  });

  it('sends after a crash between recording and sending: resume and redelivery use the same ids', async () => {
    await h.runtime(checkout, commands, { now: clock.now }).handle(await cartCheckedOut());
    const placed = await orderPlaced();
    const crashing = new RecordingCommandSender();
    crashing.respond = () => {
      throw new Error('SIGKILL');
    };
    await expect(h.runtime(checkout, crashing, { now: clock.now }).handle(placed)).rejects.toThrow();

    const resumed = new RecordingCommandSender();
    await h.runtime(checkout, resumed, { now: clock.now }).resume(orderId);
    const redelivered = new RecordingCommandSender();
    await h.runtime(checkout, redelivered, { now: clock.now }).handle(placed);

    const reservations = [
      ['ReserveStock', idOf(`reserve:${skuA}`)],
      ['ReserveStock', idOf(`reserve:${skuB}`)],
    ];
    expect(sentKeys(resumed)).toEqual(expect.arrayContaining(reservations));
    expect(sentKeys(redelivered)).toEqual(reservations);
    expect(await h.stream(checkoutStreamId(orderId))).toHaveLength(2);
  });

  it('cancels with payment_timeout and releases every reservation when the timeout fires, once, after a restart', async () => {
    const runtime = h.runtime(checkout, commands, { now: clock.now });
    await runtime.handle(await cartCheckedOut());
    await runtime.handle(await orderPlaced());
    await runtime.handle(
      await h.append(`stock-${skuA}`, 'StockReserved', { sku: skuA, orderId, quantity: 5 }),
    );
    await runtime.handle(
      await h.append(`stock-${skuB}`, 'StockReserved', { sku: skuB, orderId, quantity: 1 }),
    );
    expect(commands.ofType('AuthorizePayment')).toHaveLength(1);
    clock.advance(settings.paymentTimeoutMs);

    // A restarted sagas process: new runtime, new poller, same tables.
    const afterRestart = new RecordingCommandSender();
    const poller = new TimeoutPoller({
      runtime: h.runtime(checkout, afterRestart, { now: clock.now }),
      tables: h.tables,
      logger: h.logger,
      now: clock.now,
    });
    expect(await poller.pollOnce()).toBe(1);
    expect(await poller.pollOnce()).toBe(0);

    expect(afterRestart.ofType('CancelOrder').map((command) => command.data)).toEqual([
      { orderId, reason: 'payment_timeout' },
    ]);
    expect(afterRestart.ofType('ReleaseStockReservation').map((command) => command.data)).toEqual([
      { sku: skuA, orderId },
      { sku: skuB, orderId },
    ]);
    expect(afterRestart.ofType('VoidPayment')).toHaveLength(1);
    expect((await h.stream(checkoutStreamId(orderId))).map((record) => record.type)).toEqual([
      'CheckoutEventObserved',
      'CheckoutEventObserved',
      'CheckoutEventObserved',
      'CheckoutEventObserved',
      'CheckoutTimeoutFired',
    ]);
  });
});
