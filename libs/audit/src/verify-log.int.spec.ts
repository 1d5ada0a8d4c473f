import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { migrate } from '@tally/database';
import {
  encodePostgresCheckpoint,
  eventStoreMigrations,
  type NewEvent,
  PostgresEventStore,
  type RecordedEvent,
  START,
  uuidv7,
} from '@tally/event-store';
import { createTestSchema, type TestSchema } from '@tally/testing';
import { auditMigrations } from './audit.migrations';
import { createCheckpoint, lastCheckpoint, listCheckpoints } from './checkpoints';
import { merkleRoot } from './merkle';
import { type CheckpointSigner, createSigner, verifyCheckpointSignature } from './signing-key';
import { recentVerifications, UnknownCheckpointError, verifyLog } from './verify-log';

// Tamper evidence against a real PostgreSQL: the log is written by the real event store, then edited
// directly as a superuser (bypassing the append-only triggers), and verify must name what was done.

let schema: TestSchema;
let store: PostgresEventStore;
let signer: CheckpointSigner;

beforeEach(async () => {
  schema = await createTestSchema('audit_verify', 4);
  await migrate(schema.client, [eventStoreMigrations, auditMigrations]);
  store = new PostgresEventStore(schema.client);
  lastAppended = START;
  signer = createSigner(generateKeyPairSync('ed25519').privateKey);
});

afterEach(async () => {
  await store.close();
  await schema.drop();
});

const actor = { id: randomUUID(), role: 'customer' } as const;

function event(type: string, data: Record<string, unknown>, correlationId: string): NewEvent {
  const commandId = uuidv7();
  return {
    eventId: uuidv7(),
    type,
    data: data as NewEvent['data'],
    metadata: {
      commandId,
      correlationId,
      causationId: commandId,
      actor,
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
    },
  };
}

/** Appends five events to each of `count` fresh carts, one event per append and carts interleaved. */
async function writeCarts(count: number): Promise<string[]> {
  const carts = Array.from({ length: count }, () => randomUUID());
  const lines = ['SKU-TEA', 'SKU-MUG', 'SKU-POT'];
  for (let step = 0; step < 5; step++) {
    for (const cartId of carts) {
      const streamId = `cart-${cartId}`;
      const sku = lines[step - 1] ?? 'SKU-TEA';
      const next =
        step === 0
          ? event('CartOpened', { cartId, customerId: actor.id, currency: 'EUR' }, cartId)
          : step < 4
            ? event(
                'CartItemAdded',
                {
                  cartId,
                  sku,
                  name: `Item ${sku}`,
                  quantity: step,
                  unitPrice: { amount: 450, currency: 'EUR' },
                },
                cartId,
              )
            : event(
                'CartItemQuantityChanged',
                { cartId, sku: 'SKU-TEA', quantity: 5, previousQuantity: 1 },
                cartId,
              );
      await append(streamId, [next], step === 0 ? 'no_stream' : step);
    }
  }
  await settled();
  return carts.map((cartId) => `cart-${cartId}`);
}

let lastAppended = START;

/** Appends through the real store and remembers the newest position, for {@link settled}. */
async function append(
  streamId: string,
  events: NewEvent[],
  expectedVersion: number | 'no_stream',
): Promise<void> {
  const { checkpoint } = await store.append(streamId, events, { expectedVersion });
  if (checkpoint > lastAppended) lastAppended = checkpoint;
}

/**
 * Waits until every event appended so far lies below the gap-safe horizon. The horizon is server-wide:
 * another session's open transaction holds it back for a moment, and a checkpoint covers only what lies
 * below it.
 */
async function settled(): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await store.headCheckpoint()) < lastAppended) {
    if (Date.now() > deadline) throw new Error(`the horizon did not reach ${lastAppended} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs statements as the superuser with triggers off, as an attacker with database access would. */
async function tamper(...statements: [string, unknown[]?][]): Promise<void> {
  await schema.client.session(async (session) => {
    await session.query('SET session_replication_role = replica');
    try {
      for (const [text, params] of statements) await session.query(text, params ?? []);
    } finally {
      await session.query('RESET session_replication_role');
    }
  });
}

async function allEvents(): Promise<RecordedEvent[]> {
  const { events } = await store.readAll({ after: START, limit: 10_000 });
  return events;
}

describe('createCheckpoint', () => {
  it('signs the RFC 6962 root of every readable event hash, in delivery order', async () => {
    await writeCarts(3);
    const checkpoint = await createCheckpoint(schema.client, signer, {
      now: () => new Date('2026-11-21T10:00:00.000Z'),
    });
    const events = await allEvents();
    expect(checkpoint).toMatchObject({
      sequence: 1,
      leafCount: 15,
      upTo: events.at(-1)?.position,
      createdAt: '2026-11-21T10:00:00.000Z',
      keyId: signer.keyId,
    });
    expect(checkpoint.root).toBe(
      merkleRoot(events.map((e) => Buffer.from(e.hash ?? '', 'hex'))).toString('hex'),
    );
    expect(verifyCheckpointSignature(checkpoint)).toBe(true);
    expect(await listCheckpoints(schema.client)).toEqual([checkpoint]);
  });

  it('extends the previous checkpoint, and stores nothing when no event arrived since', async () => {
    const [cart] = await writeCarts(2);
    const first = await createCheckpoint(schema.client, signer);
    expect(await createCheckpoint(schema.client, signer)).toEqual(first);
    expect(await listCheckpoints(schema.client)).toHaveLength(1);

    await append(cart ?? '', [event('CartAbandoned', { cartId: cart }, randomUUID())], 5);
    await settled();
    const second = await createCheckpoint(schema.client, signer);
    const events = await allEvents();
    expect(second).toMatchObject({ sequence: 2, leafCount: 11, upTo: events.at(-1)?.position });
    expect(second.root).toBe(merkleRoot(events.map((e) => Buffer.from(e.hash ?? '', 'hex'))).toString('hex'));
    expect(await lastCheckpoint(schema.client)).toEqual(second);
  });

  it('leaves out events of transactions still open (they could commit before the horizon)', async () => {
    await writeCarts(1);
    const writer = schema.connect(1);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let appended!: () => void;
    const inserted = new Promise<void>((resolve) => (appended = resolve));
    const open = writer.transaction(async (tx) => {
      const { rows } = await tx.query<{ last_transaction_id: string; last_position: string }>(
        `SELECT * FROM event_store_append($1, $2::jsonb, 'no_stream', 0)`,
        [
          `cart-${randomUUID()}`,
          JSON.stringify([{ ...event('CartOpened', {}, randomUUID()), event_id: uuidv7() }]),
        ],
      );
      const [row] = rows;
      if (row) {
        lastAppended = encodePostgresCheckpoint({
          transactionId: row.last_transaction_id,
          position: row.last_position,
        });
      }
      appended();
      await held;
    });
    await inserted;
    try {
      const checkpoint = await createCheckpoint(schema.client, signer);
      expect(checkpoint.leafCount).toBe(5);
    } finally {
      release();
      await open;
    }
    await settled();
    expect((await createCheckpoint(schema.client, signer)).leafCount).toBe(6);
  });

  it('refuses to edit or delete a stored checkpoint', async () => {
    await writeCarts(1);
    await createCheckpoint(schema.client, signer);
    await expect(schema.client.query(`UPDATE audit_checkpoints SET root = 'x'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(schema.client.query('DELETE FROM audit_checkpoints')).rejects.toThrow(/append-only/);
    await expect(schema.client.query('TRUNCATE audit_verifications')).rejects.toThrow(/append-only/);
  });
});

describe('verifyLog', () => {
  it('finds an untouched log intact and records the run', async () => {
    await writeCarts(3);
    await createCheckpoint(schema.client, signer);
    const report = await verifyLog(schema.client, { expectedKeyId: signer.keyId });
    expect(report).toMatchObject({
      ok: true,
      scope: 'all',
      eventsChecked: 15,
      streamsChecked: 3,
      checkpointsChecked: 1,
      streams: [],
      checkpoints: [],
      lastVerifiedCheckpoint: 1,
      foreignKeys: [],
    });
    expect(await recentVerifications(schema.client)).toMatchObject([
      { scope: 'all', ok: true, eventsChecked: 15, streamsChecked: 3, checkpointSequence: 1 },
    ]);
  });

  it('names checkpoints signed by a key other than the configured one, without calling them broken', async () => {
    await writeCarts(1);
    await createCheckpoint(schema.client, signer);
    const report = await verifyLog(schema.client, { expectedKeyId: '0123456789abcdef' });
    expect(report).toMatchObject({ ok: true, foreignKeys: [{ sequence: 1, keyId: signer.keyId }] });
  });

  it('reports data edited in place as altered, at that stream and version', async () => {
    const [, cart] = await writeCarts(3);
    await tamper([
      `UPDATE events SET data = jsonb_set(data, '{quantity}', '99') WHERE stream_id = $1 AND version = 3`,
      [cart],
    ]);
    const report = await verifyLog(schema.client);
    expect(report.ok).toBe(false);
    expect(report.streams).toEqual([
      {
        streamId: cart,
        version: 3,
        kind: 'altered',
        message: expect.stringContaining(`version 3 of ${cart}`) as string,
      },
    ]);
  });

  it('reports an edited hash that hides the edit as altered at the next version', async () => {
    const [cart] = await writeCarts(2);
    await tamper([
      `UPDATE events SET data = jsonb_set(data, '{quantity}', '99'),
         hash = event_store_event_hash(
           (SELECT p.hash FROM events p WHERE p.stream_id = $1 AND p.version = 1),
           stream_id, version, type, jsonb_set(data, '{quantity}', '99'), metadata, recorded_at)
       WHERE stream_id = $1 AND version = 2`,
      [cart],
    ]);
    const report = await verifyLog(schema.client);
    expect(report.streams).toMatchObject([{ streamId: cart, version: 3, kind: 'altered' }]);
  });

  it('reports two events that swapped versions as reordered', async () => {
    const [cart] = await writeCarts(2);
    await tamper(
      [`UPDATE events SET version = 1000 WHERE stream_id = $1 AND version = 2`, [cart]],
      [`UPDATE events SET version = 2 WHERE stream_id = $1 AND version = 3`, [cart]],
      [`UPDATE events SET version = 3 WHERE stream_id = $1 AND version = 1000`, [cart]],
    );
    const report = await verifyLog(schema.client);
    expect(report.streams).toEqual([
      {
        streamId: cart,
        version: 2,
        kind: 'reordered',
        message: expect.stringContaining('hashed as version 3') as string,
      },
    ]);
  });

  it('reports an event deleted mid-stream as missing, at the deleted version', async () => {
    const [, , cart] = await writeCarts(3);
    await tamper([`DELETE FROM events WHERE stream_id = $1 AND version = 3`, [cart]]);
    const report = await verifyLog(schema.client);
    expect(report.streams).toEqual([
      {
        streamId: cart,
        version: 3,
        kind: 'missing',
        message: expect.stringContaining('version 4 follows version 2') as string,
      },
    ]);
  });

  it('reports the last event of a stream deleted after a checkpoint as a count break', async () => {
    const [cart] = await writeCarts(2);
    await createCheckpoint(schema.client, signer);
    await tamper([`DELETE FROM events WHERE stream_id = $1 AND version = 5`, [cart]]);
    const report = await verifyLog(schema.client);
    // The chain itself still holds: only the signed count shows the loss.
    expect(report.streams).toEqual([]);
    expect(report.checkpoints).toEqual([
      { sequence: 1, kind: 'count', message: expect.stringContaining('signed 10 events') as string },
    ]);
    expect(report.ok).toBe(false);
    expect(report.lastVerifiedCheckpoint).toBeUndefined();
  });

  it('reports a changed global order after a checkpoint as a root break', async () => {
    const [cartA, cartB] = await writeCarts(2);
    await createCheckpoint(schema.client, signer);
    const { rows } = await schema.client.query<{
      stream_id: string;
      event_id: string;
      transaction_id: string;
    }>(
      `SELECT stream_id, event_id::text, transaction_id::text FROM events
       WHERE (stream_id = $1 AND version = 2) OR (stream_id = $2 AND version = 4)`,
      [cartA, cartB],
    );
    const [a, b] = rows;
    if (!a || !b) throw new Error('expected two events');
    await tamper([
      `UPDATE events SET transaction_id = CASE WHEN event_id = $1 THEN $4::xid8 ELSE $3::xid8 END
       WHERE event_id IN ($1, $2)`,
      [a.event_id, b.event_id, a.transaction_id, b.transaction_id],
    ]);
    const report = await verifyLog(schema.client);
    expect(report.streams).toEqual([]);
    expect(report.checkpoints).toEqual([
      { sequence: 1, kind: 'root', message: expect.stringContaining('events edited or reordered') as string },
    ]);
  });

  it('reports a checkpoint whose root was edited as a signature break', async () => {
    await writeCarts(2);
    await createCheckpoint(schema.client, signer);
    await tamper([`UPDATE audit_checkpoints SET root = repeat('a', 64) WHERE sequence = 1`]);
    const report = await verifyLog(schema.client);
    expect(report.streams).toEqual([]);
    expect(report.checkpoints).toMatchObject([{ sequence: 1, kind: 'signature' }]);
  });

  it('checks one stream with --stream, and only what follows a checkpoint with --from', async () => {
    const [cartA, cartB] = await writeCarts(3);
    await createCheckpoint(schema.client, signer);
    // An edit before checkpoint 1: a full run sees it, a run from checkpoint 1 trusts the signed frontier.
    await tamper([
      `UPDATE events SET data = jsonb_set(data, '{quantity}', '7') WHERE stream_id = $1 AND version = 2`,
      [cartB],
    ]);
    for (const streamId of [cartA, cartB]) {
      await append(streamId ?? '', [event('CartAbandoned', { cartId: streamId }, randomUUID())], 5);
    }
    await settled();
    await createCheckpoint(schema.client, signer);

    const one = await verifyLog(schema.client, { streamId: cartA });
    expect(one).toMatchObject({
      ok: true,
      scope: `stream:${cartA}`,
      eventsChecked: 6,
      streamsChecked: 1,
      checkpointsChecked: 0,
    });
    expect(await verifyLog(schema.client, { streamId: cartB })).toMatchObject({
      ok: false,
      streams: [{ streamId: cartB, version: 2, kind: 'altered' }],
    });

    const progress: string[] = [];
    const fromFirst = await verifyLog(schema.client, {
      fromCheckpoint: 1,
      onProgress: ({ phase, done, total }) => progress.push(`${phase} ${done}/${total}`),
    });
    expect(fromFirst).toMatchObject({
      ok: true,
      scope: 'from:1',
      eventsChecked: 2,
      streamsChecked: 2,
      checkpointsChecked: 2,
      lastVerifiedCheckpoint: 2,
    });
    expect(progress).toEqual(['chains 0/2', 'chains 2/2', 'checkpoints 0/2', 'checkpoints 2/2']);

    const all = await verifyLog(schema.client);
    expect(all.streams).toMatchObject([{ streamId: cartB, version: 2, kind: 'altered' }]);
    // Leaves are the stored hashes, which the edit left alone: the roots still match, the chain does not.
    expect(all.checkpoints).toEqual([]);
    expect((await recentVerifications(schema.client)).map((run) => run.scope)).toEqual([
      'all',
      'from:1',
      `stream:${cartB}`,
      `stream:${cartA}`,
    ]);
  });

  it('finds the same roots and breaks when the log is read in many small pages', async () => {
    const carts = await writeCarts(7);
    // Pages of 3 events cut through streams and transactions.
    const first = await createCheckpoint(schema.client, signer, { pageSize: 3 });
    const unpaged = merkleRoot((await allEvents()).map((e) => Buffer.from(e.hash ?? '', 'hex')));
    expect(first).toMatchObject({ sequence: 1, leafCount: 35, root: unpaged.toString('hex') });

    await tamper(
      [`DELETE FROM events WHERE stream_id = $1 AND version = 2`, [carts[1]]],
      [`UPDATE events SET type = 'CartEmptied' WHERE stream_id = $1 AND version = 4`, [carts[5]]],
    );
    await append(carts[6] ?? '', [event('CartAbandoned', { cartId: carts[6] }, randomUUID())], 5);
    await settled();
    expect(await createCheckpoint(schema.client, signer)).toMatchObject({ sequence: 2, leafCount: 36 });

    const expected = [
      { streamId: carts[1], version: 2, kind: 'missing' },
      { streamId: carts[5], version: 4, kind: 'altered' },
    ].sort((a, b) => ((a.streamId ?? '') < (b.streamId ?? '') ? -1 : 1));
    for (const pageSize of [3, 4, 1000]) {
      const report = await verifyLog(schema.client, { pageSize, record: false });
      expect(report).toMatchObject({ eventsChecked: 35, streamsChecked: 7, streams: expected });
      // 34 events now lie where each checkpoint signed one more.
      expect(report.checkpoints.map((c) => [c.sequence, c.kind])).toEqual([
        [1, 'count'],
        [2, 'count'],
      ]);
    }
    const fromFirst = await verifyLog(schema.client, { fromCheckpoint: 1, pageSize: 1, record: false });
    expect(fromFirst).toMatchObject({
      ok: true,
      eventsChecked: 1,
      streamsChecked: 1,
      lastVerifiedCheckpoint: 2,
    });
    expect(await recentVerifications(schema.client)).toEqual([]);
  });

  it('refuses --from a checkpoint that does not exist', async () => {
    await expect(verifyLog(schema.client, { fromCheckpoint: 7 })).rejects.toBeInstanceOf(
      UnknownCheckpointError,
    );
  });

  it('does not start from a checkpoint whose row was edited', async () => {
    await writeCarts(1);
    await createCheckpoint(schema.client, signer);
    await tamper([`UPDATE audit_checkpoints SET leaf_count = 4 WHERE sequence = 1`]);
    const report = await verifyLog(schema.client, { fromCheckpoint: 1 });
    expect(report).toMatchObject({ ok: false, checkpoints: [{ sequence: 1, kind: 'signature' }] });
    expect(report.lastVerifiedCheckpoint).toBeUndefined();
  });
});
