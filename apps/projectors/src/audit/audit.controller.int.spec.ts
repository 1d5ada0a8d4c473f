import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { migrate } from '@tally/database';
import { eventStoreMigrations, PostgresEventStore } from '@tally/event-store';
import { type Infrastructure, loadConfig } from '@tally/platform';
import {
  authHeader,
  createTestSchema,
  routesWithoutRoles,
  TEST_AUTH_SECRET,
  type TestSchema,
  testEvent,
  type TestWarehouse,
  testWarehouse,
} from '@tally/testing';
import pino from 'pino';
import { createProjectors, projectorsMigrations } from '../projectors.app';
import { AuditScheduler } from './audit-scheduler';

// The projectors' audit endpoints and schedule over a real PostgreSQL schema.

let schema: TestSchema;
let warehouse: TestWarehouse;
let store: PostgresEventStore;
let logLines: string[];
const stream = `order-${randomUUID()}`;

function infrastructureWith(env: Record<string, string>): Infrastructure {
  const logStream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      logLines.push(chunk.toString());
      callback();
    },
  });
  return {
    config: loadConfig({
      DATABASE_URL: schema.url,
      TALLY_AUTH_SECRET: TEST_AUTH_SECRET,
      ...warehouse.settings,
      ...env,
    }),
    sql: schema.client,
    eventStore: store,
    logger: pino({ level: 'info' }, logStream),
    authSecret: TEST_AUTH_SECRET,
    close: () => Promise.resolve(),
  };
}

const KEY = randomBytes(32).toString('base64url');
const OFF = { TALLY_AUDIT_CHECKPOINT_SECONDS: '0', TALLY_AUDIT_VERIFY_SECONDS: '0' };

beforeEach(async () => {
  schema = await createTestSchema('audit_projectors', 4);
  warehouse = testWarehouse(schema.schema, schema.url);
  await migrate(schema.client, [eventStoreMigrations, ...projectorsMigrations]);
  store = new PostgresEventStore(schema.client);
  logLines = [];
  const { checkpoint } = await store.append(
    stream,
    [testEvent('OrderPlaced', { total: 1250 }), testEvent('OrderPaid', { amount: 1250 })],
    { expectedVersion: 'no_stream' },
  );
  // The gap-safe horizon is server-wide: another session's open transaction can hold it back a moment.
  const deadline = Date.now() + 30_000;
  while ((await store.headCheckpoint()) < checkpoint) {
    if (Date.now() > deadline) throw new Error(`the horizon did not reach ${checkpoint} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});

afterEach(async () => {
  await store.close();
  await warehouse.drop();
  await schema.drop();
});

describe('audit endpoints', () => {
  let app: NestFastifyApplication;

  afterEach(async () => {
    await app.close();
  });

  async function start(env: Record<string, string>): Promise<void> {
    app = await createProjectors(infrastructureWith(env), { relay: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  }

  const post = (url: string, body?: unknown, headers: Record<string, string> = authHeader('auditor')) =>
    app.inject({ method: 'POST', url, headers, ...(body === undefined ? {} : { payload: body as object }) });

  it('signs a checkpoint and verifies the log for auditors and admins, and nobody else', async () => {
    await start({ TALLY_AUDIT_SIGNING_KEY: KEY, ...OFF });
    const created = await post('/api/v1/audit/checkpoints');
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ sequence: 1, leafCount: 2 });

    const verified = await post('/api/v1/audit/verifications', {}, authHeader('admin'));
    expect(verified.statusCode).toBe(200);
    expect(verified.json()).toMatchObject({
      ok: true,
      scope: 'all',
      eventsChecked: 2,
      lastVerifiedCheckpoint: 1,
      foreignKeys: [],
    });

    await schema.client.session(async (session) => {
      await session.query('SET session_replication_role = replica');
      await session.query(`DELETE FROM events WHERE stream_id = $1 AND version = 1`, [stream]);
      await session.query('RESET session_replication_role');
    });
    const broken = await post('/api/v1/audit/verifications', { streamId: stream });
    expect(broken.statusCode).toBe(200);
    expect(broken.json()).toMatchObject({
      ok: false,
      scope: `stream:${stream}`,
      streams: [{ streamId: stream, version: 1, kind: 'missing' }],
    });

    expect((await post('/api/v1/audit/checkpoints', undefined, authHeader('customer'))).statusCode).toBe(403);
    expect((await post('/api/v1/audit/verifications', {}, {})).statusCode).toBe(401);
    expect(routesWithoutRoles(app)).toEqual([]);
  });

  it('answers bad verification requests with a 4xx naming the field', async () => {
    await start({ TALLY_AUDIT_SIGNING_KEY: KEY, ...OFF });
    const problems = async (body: unknown) => {
      const response = await post('/api/v1/audit/verifications', body);
      return {
        status: response.statusCode,
        fields: response.json<{ errors?: { field: string }[] }>().errors,
      };
    };
    expect(await problems({ fromCheckpoint: 'first' })).toMatchObject({
      status: 400,
      fields: [{ field: 'fromCheckpoint' }],
    });
    expect(await problems({ streamId: '' })).toMatchObject({ status: 400, fields: [{ field: 'streamId' }] });
    expect(await problems({ stream: stream })).toMatchObject({ status: 400, fields: [{ field: 'stream' }] });
    expect(await problems({ streamId: stream, fromCheckpoint: 1 })).toMatchObject({
      status: 400,
      fields: [{ field: 'fromCheckpoint' }],
    });
    expect(await problems({ fromCheckpoint: 42 })).toMatchObject({
      status: 422,
      fields: [{ field: 'fromCheckpoint' }],
    });
  });

  it('refuses to sign without a key in full mode, naming the variable', async () => {
    await start(OFF);
    const response = await post('/api/v1/audit/checkpoints');
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'AUDIT_SIGNING_KEY_MISSING' });
    expect(response.json<{ detail: string }>().detail).toContain('TALLY_AUDIT_SIGNING_KEY');
    // Verification needs no key.
    expect((await post('/api/v1/audit/verifications', {})).json()).toMatchObject({ ok: true });
  });
});

describe('audit schedule', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('signs a checkpoint and then verifies right after start, one job after the other', async () => {
    const scheduler = new AuditScheduler(infrastructureWith({ TALLY_AUDIT_SIGNING_KEY: KEY }));
    await scheduler.start();
    await scheduler.stop();
    const { rows: checkpoints } = await schema.client.query<{ sequence: string; leaf_count: string }>(
      'SELECT sequence::text, leaf_count::text FROM audit_checkpoints',
    );
    expect(checkpoints).toEqual([{ sequence: '1', leaf_count: '2' }]);
    // Queued behind the checkpoint, the verification already covers it.
    const { rows: runs } = await schema.client.query<{
      scope: string;
      ok: boolean;
      checkpoint_sequence: string;
    }>('SELECT scope, ok, checkpoint_sequence::text FROM audit_verifications');
    expect(runs).toEqual([{ scope: 'all', ok: true, checkpoint_sequence: '1' }]);
  });

  it('does not verify again at start a log verified less than an interval ago', async () => {
    const first = new AuditScheduler(infrastructureWith({ TALLY_AUDIT_SIGNING_KEY: KEY }));
    await first.start();
    await first.stop();
    // Restarted a moment later: both jobs ran within their intervals, so neither is due yet.
    const restarted = new AuditScheduler(infrastructureWith({ TALLY_AUDIT_SIGNING_KEY: KEY }));
    await restarted.start();
    await restarted.stop();
    expect((await schema.client.query('SELECT 1 FROM audit_checkpoints')).rows).toHaveLength(1);
    expect((await schema.client.query('SELECT 1 FROM audit_verifications')).rows).toHaveLength(1);
    // An hour later (the checkpoint interval), only the checkpoint is due again.
    const hourLater = new Date(Date.now() + 3_600_000 + 1_000);
    const later = new AuditScheduler(infrastructureWith({ TALLY_AUDIT_SIGNING_KEY: KEY }), {
      now: () => hourLater,
    });
    await later.start();
    await later.stop();
    expect((await schema.client.query('SELECT 1 FROM audit_verifications')).rows).toHaveLength(1);
  });

  it('runs nothing when both intervals are 0', async () => {
    const scheduler = new AuditScheduler(infrastructureWith({ TALLY_AUDIT_SIGNING_KEY: KEY, ...OFF }));
    await scheduler.start();
    await scheduler.stop();
    expect((await schema.client.query('SELECT 1 FROM audit_checkpoints')).rows).toEqual([]);
    expect((await schema.client.query('SELECT 1 FROM audit_verifications')).rows).toEqual([]);
  });

  it('warns once, not at every tick, when full mode has no key', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const scheduler = new AuditScheduler(
      infrastructureWith({ TALLY_AUDIT_CHECKPOINT_SECONDS: '60', TALLY_AUDIT_VERIFY_SECONDS: '0' }),
    );
    await scheduler.start();
    await jest.advanceTimersByTimeAsync(5 * 60_000);
    await scheduler.stop();
    const warnings = logLines.filter((line) => line.includes('TALLY_AUDIT_SIGNING_KEY'));
    expect(warnings).toHaveLength(1);
    expect((await schema.client.query('SELECT 1 FROM audit_checkpoints')).rows).toEqual([]);
  });
});
