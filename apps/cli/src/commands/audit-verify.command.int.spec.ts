import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { auditMigrations, verifyCheckpointSignature, type SignedCheckpoint } from '@tally/audit';
import { migrate } from '@tally/database';
import { eventStoreMigrations, PostgresEventStore } from '@tally/event-store';
import { type TestSchema, testEvent } from '@tally/testing';
import { createCliSchema, runTally, untilReadable } from '../../test/cli.harness';

// `audit checkpoint` and `audit verify` as an operator runs them: in process, against a fresh schema of the
// real PostgreSQL (DATABASE_URL carries the schema as the connection's search_path).

describe('audit checkpoint and audit verify', () => {
  let schema: TestSchema;
  let store: PostgresEventStore;
  const order = `order-${randomUUID()}`;
  const payment = `payment-${randomUUID()}`;

  beforeEach(async () => {
    schema = await createCliSchema('audit_cli', 2);
    await migrate(schema.client, [eventStoreMigrations, auditMigrations]);
    store = new PostgresEventStore(schema.client);
    process.env.TALLY_AUDIT_SIGNING_KEY = generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    const orderId = order.slice('order-'.length);
    await store.append(
      order,
      [
        testEvent('OrderPlaced', { orderId, total: { amount: 1250, currency: 'EUR' } }),
        testEvent('OrderPaid', { orderId, paymentId: payment.slice('payment-'.length) }),
        testEvent('OrderShipped', { orderId, carrier: 'post' }),
      ],
      { expectedVersion: 'no_stream' },
    );
    const { checkpoint: last } = await store.append(
      payment,
      [testEvent('PaymentAuthorized', { amount: 1250 })],
      {
        expectedVersion: 'no_stream',
      },
    );
    // A checkpoint covers only the gap-safe log.
    await untilReadable(store, last);
  });

  afterEach(async () => {
    await store.close();
    await schema.drop();
  });

  it('signs a checkpoint, verifies the untouched log, then names an edited event and exits 1', async () => {
    const made = await runTally('audit', 'checkpoint');
    expect(made).toMatchObject({ code: 0, stderr: '' });
    const checkpoint = JSON.parse(made.stdout) as SignedCheckpoint;
    expect(checkpoint).toMatchObject({ sequence: 1, leafCount: 4 });
    expect(verifyCheckpointSignature(checkpoint)).toBe(true);

    const intact = await runTally('audit', 'verify');
    expect(intact.code).toBe(0);
    expect(intact.stdout).toContain('OK: checked 4 events in 2 streams and 1 checkpoint (scope all)');
    expect(intact.stdout).toContain('Last verified checkpoint: 1');
    expect(intact.stderr).toMatch(/checking chains .*4\/4 events/);
    expect(intact.stderr).toMatch(/checking checkpoints .*4\/4 events/);

    await schema.client.session(async (session) => {
      await session.query('SET session_replication_role = replica');
      await session.query(
        `UPDATE events SET data = jsonb_set(data, '{carrier}', '"courier"') WHERE stream_id = $1 AND version = 3`,
        [order],
      );
      await session.query('RESET session_replication_role');
    });
    const broken = await runTally('audit', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('BROKEN');
    expect(broken.stdout).toContain(`stream ${order} version 3: altered`);

    const json = await runTally('audit', 'verify', '--stream', order, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      scope: `stream:${order}`,
      eventsChecked: 3,
      streams: [{ streamId: order, version: 3, kind: 'altered' }],
    });
  });

  it('rejects a --from that is not a checkpoint, naming the flag (exit 2)', async () => {
    const bad = await runTally('audit', 'verify', '--from', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from must be a checkpoint sequence');
    const unknown = await runTally('audit', 'verify', '--from', '9');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--from: There is no checkpoint 9.');
  });

  it('refuses to sign without a key in full mode, naming the variable (exit 2)', async () => {
    delete process.env.TALLY_AUDIT_SIGNING_KEY;
    const result = await runTally('audit', 'checkpoint');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('TALLY_AUDIT_SIGNING_KEY');
    const { rows } = await schema.client.query('SELECT 1 FROM audit_checkpoints');
    expect(rows).toEqual([]);
  });
});
