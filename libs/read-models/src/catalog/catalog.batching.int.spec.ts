import { orderStreamId, productStreamId } from '@tally/domain';
import type { RecordedEvent } from '@tally/event-store';
import { uuidv7 } from '@tally/platform';
import { tableDigests } from '../batch';
import { createCopy, targetCopy } from '../rebuild/read-model-copy';
import { freshSku, startReadModels, type ReadModelHarness } from '../testing/read-models.harness';
import { catalogProjection } from './catalog.projection';
import { catalogStorage } from './catalog.schema';

const usd = (amount: number) => ({ amount, currency: 'USD' });

/** Every catalog table in a total row order, for digests that must match between builds. */
const ROW_ORDER = {
  catalog_products: 'sku COLLATE "C"',
  catalog_search_terms: 'sku COLLATE "C", term COLLATE "C"',
  catalog_search_vocabulary: 'term COLLATE "C"',
  catalog_product_sales: 'order_id COLLATE "C", sku COLLATE "C"',
  catalog_popularity: 'sku COLLATE "C"',
};

describe('catalog projection, set-based', () => {
  let h: ReadModelHarness;
  let lamp: string;
  let chair: string;
  let ghost: string;
  let firstOrder: string;
  let secondOrder: string;
  let thirdOrder: string;
  /** The log's catalog events, some of them delivered a second time later on. */
  let deliveries: RecordedEvent[];

  /** Builds a fresh copy of the catalog tables from `batches`, one transaction each; returns its schema. */
  async function build(batches: readonly (readonly RecordedEvent[])[]): Promise<string> {
    const schema = `${h.db.schema}__catalog_${uuidv7().slice(-12).replace(/-/g, '')}`;
    await h.sql.transaction((tx) => createCopy(tx, catalogStorage, h.db.schema, schema));
    for (const batch of batches) {
      await h.sql.transaction(async (tx) => {
        await targetCopy(tx, schema, h.db.schema);
        await catalogProjection.apply(tx, batch);
      });
    }
    return schema;
  }

  async function digestsOf(schema: string): Promise<Record<string, string>> {
    return h.sql.transaction(async (tx) => {
      await targetCopy(tx, schema, h.db.schema);
      return tableDigests(tx, ROW_ORDER);
    });
  }

  async function rowsOf<Row>(schema: string, select: string): Promise<Row[]> {
    return h.sql.transaction(async (tx) => {
      await targetCopy(tx, schema, h.db.schema);
      return (await tx.query<Row>(select)).rows;
    });
  }

  const chunks = <T>(items: readonly T[], size: number): T[][] =>
    Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

  beforeAll(async () => {
    h = await startReadModels([], { start: false });
    [lamp, chair, ghost] = [freshSku('lamp'), freshSku('chair'), freshSku('ghost')];
    [firstOrder, secondOrder, thirdOrder] = [uuidv7(), uuidv7(), uuidv7()];
    // Each append's stream and versions, to read the events back in the log's order.
    const appended: [string, number, number][] = [];
    const versions = new Map<string, number>();
    const append = async (stream: string, events: Parameters<ReadModelHarness['append']>[1]) => {
      const from = (versions.get(stream) ?? 0) + 1;
      appended.push([stream, from, from + events.length - 1]);
      versions.set(stream, from + events.length - 1);
      await h.append(stream, events);
    };
    await append(productStreamId(lamp), [
      {
        type: 'ProductCreated',
        occurredAt: '2030-01-01T00:00:00.000Z',
        data: {
          sku: lamp,
          name: 'Amber lamp',
          description: 'Warm light',
          category: 'lighting',
          attributes: { finish: 'brass' },
          images: ['lamp.svg'],
          price: usd(4000),
        },
      },
      { type: 'ProductPublished', occurredAt: '2030-01-02T00:00:00.000Z', data: { sku: lamp } },
    ]);
    await append(productStreamId(chair), [
      {
        type: 'ProductCreated',
        occurredAt: '2030-01-03T00:00:00.000Z',
        data: {
          sku: chair,
          name: 'Oak chair',
          description: 'Solid wood',
          category: 'furniture',
          attributes: {},
          images: [],
          price: usd(9000),
        },
      },
    ]);
    await append(orderStreamId(firstOrder), [
      {
        type: 'OrderPlaced',
        data: {
          orderId: firstOrder,
          lines: [
            { sku: lamp, quantity: 2 },
            { sku: chair, quantity: 1 },
            { sku: lamp, quantity: 1 },
          ],
        },
      },
    ]);
    // The lamp's name passes through a word no later version keeps: the vocabulary still learns it.
    await append(productStreamId(lamp), [
      {
        type: 'ProductDetailsChanged',
        occurredAt: '2030-01-04T00:00:00.000Z',
        data: { sku: lamp, name: 'Beacon lamp' },
      },
      {
        type: 'ProductPriceChanged',
        occurredAt: '2030-01-05T00:00:00.000Z',
        data: { sku: lamp, price: usd(4500), previousPrice: usd(4000) },
      },
      {
        type: 'ProductDetailsChanged',
        occurredAt: '2030-01-06T00:00:00.000Z',
        data: { sku: lamp, name: 'Candle lamp', attributes: { finish: 'copper' } },
      },
    ]);
    await append(productStreamId(ghost), [
      { type: 'ProductPriceChanged', data: { sku: ghost, price: usd(1), previousPrice: usd(2) } },
    ]);
    await append(productStreamId(chair), [
      { type: 'ProductPublished', occurredAt: '2030-01-07T00:00:00.000Z', data: { sku: chair } },
      {
        type: 'ProductDetailsChanged',
        occurredAt: '2030-01-08T00:00:00.000Z',
        data: { sku: chair, images: ['chair.svg'] },
      },
      { type: 'ProductDiscontinued', occurredAt: '2030-01-09T00:00:00.000Z', data: { sku: chair } },
    ]);
    await append(orderStreamId(secondOrder), [
      { type: 'OrderPlaced', data: { orderId: secondOrder, lines: [{ sku: chair, quantity: 4 }] } },
    ]);
    await append(orderStreamId(thirdOrder), [
      {
        type: 'OrderPlaced',
        data: {
          orderId: thirdOrder,
          lines: [
            { sku: lamp, quantity: 0 },
            { sku: null, quantity: 3 },
          ],
        },
      },
    ]);
    // readStream rather than readAll: readAll waits for every older transaction on the server to end.
    const events: RecordedEvent[] = [];
    for (const [stream, fromVersion, toVersion] of appended)
      events.push(...(await h.store.readStream(stream, { fromVersion, toVersion })));
    expect(events).toHaveLength(13);
    // Redelivered: the first order right after itself, the lamp's first rename and the chair's creation
    // after newer versions of their streams, and the second order at the very end.
    deliveries = [
      ...events.slice(0, 4),
      events[3]!,
      ...events.slice(4, 9),
      events[4]!,
      events[2]!,
      ...events.slice(9),
      events[11]!,
    ];
  });

  afterAll(async () => {
    await h.close();
  });

  it('builds the same tables as one batch, one event per batch, batches of 3, and replayed', async () => {
    const oneBatch = await build([deliveries]);
    const expected = await digestsOf(oneBatch);

    expect(await digestsOf(await build(deliveries.map((event) => [event])))).toEqual(expected);
    expect(await digestsOf(await build(chunks(deliveries, 3)))).toEqual(expected);
    expect(await digestsOf(await build([deliveries, deliveries, ...chunks(deliveries, 5)]))).toEqual(
      expected,
    );
    expect(Object.values(expected).every((digest) => digest !== '')).toBe(true);
  });

  it('writes the expected rows', async () => {
    const schema = await build(chunks(deliveries, 4));

    expect(
      await rowsOf(
        schema,
        `SELECT sku, name, category, attributes, images, price_amount::int AS price, status,
           created_at AS created, updated_at AS updated, version
         FROM catalog_products ORDER BY created_at`,
      ),
    ).toEqual([
      {
        sku: lamp,
        name: 'Candle lamp',
        category: 'lighting',
        attributes: { finish: 'copper' },
        images: ['lamp.svg'],
        price: 4500,
        status: 'published',
        created: new Date('2030-01-01T00:00:00.000Z'),
        updated: new Date('2030-01-06T00:00:00.000Z'),
        version: 5,
      },
      {
        sku: chair,
        name: 'Oak chair',
        category: 'furniture',
        attributes: {},
        images: ['chair.svg'],
        price: 9000,
        status: 'discontinued',
        created: new Date('2030-01-03T00:00:00.000Z'),
        updated: new Date('2030-01-09T00:00:00.000Z'),
        version: 4,
      },
    ]);
    expect(
      await rowsOf(
        schema,
        `SELECT sku, units_ordered::int AS units FROM catalog_popularity ORDER BY units_ordered`,
      ),
    ).toEqual([
      { sku: lamp, units: 3 },
      { sku: chair, units: 5 },
    ]);
    expect(
      await rowsOf(schema, `SELECT order_id, sku, units::int AS units FROM catalog_product_sales`),
    ).toHaveLength(3);
    const terms = await rowsOf<{ sku: string; term: string }>(
      schema,
      'SELECT sku, term FROM catalog_search_terms ORDER BY sku, term',
    );
    expect(terms.filter((row) => row.sku === lamp).map((row) => row.term)).toEqual([
      'candle',
      'copper',
      'lamp',
      'light',
      'lighting',
      'warm',
    ]);
    // Every word any version had, "amber" and "beacon" included, and "brass" of the replaced attributes.
    expect(
      (
        await rowsOf<{ term: string }>(
          schema,
          'SELECT term FROM catalog_search_vocabulary ORDER BY term COLLATE "C"',
        )
      ).map((row) => row.term),
    ).toEqual([
      'amber',
      'beacon',
      'brass',
      'candle',
      'chair',
      'copper',
      'furniture',
      'lamp',
      'light',
      'lighting',
      'oak',
      'solid',
      'warm',
      'wood',
    ]);
  });
});
