import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  auditMigrations,
  checkpointMessage,
  createCheckpoint,
  createSigner,
  type CheckpointSigner,
} from '@tally/audit';
import { migrate, type PgSqlClient } from '@tally/database';
import { eventStoreMigrations, type NewEvent, PostgresEventStore } from '@tally/event-store';
import { type TestSchema, testEvent } from '@tally/testing';
// The offline verifier is a standalone script: the tests run the very file a third party runs.
import { verifyExport } from '../../../../tools/audit/verify-export.mjs';
import { createCliSchema, runTally, untilReadable } from '../../test/cli.harness';

const event = (type: string, data: NewEvent['data']): NewEvent =>
  testEvent(type, data, { actor: { id: 'admin-1', role: 'admin' } });

/** The JSONL lines of an export, parsed, with their 1-based line numbers. */
function lines(text: string): { line: number; json: Record<string, unknown>; raw: string }[] {
  return text
    .split('\n')
    .filter((raw) => raw !== '')
    .map((raw, i) => ({ line: i + 1, json: JSON.parse(raw) as Record<string, unknown>, raw }));
}

const rejoin = (raws: readonly string[]) => `${raws.join('\n')}\n`;

describe('audit export', () => {
  let schema: TestSchema;
  let sql: PgSqlClient;
  let signer: CheckpointSigner;
  let dir: string;
  const order = `order-${randomUUID()}`;
  const cart = `cart-${randomUUID()}`;
  const payment = `payment-${randomUUID()}`;
  let from: string;
  let to: string;

  beforeAll(async () => {
    schema = await createCliSchema('audit_export', 2);
    sql = schema.client;
    await migrate(sql, [eventStoreMigrations, auditMigrations]);
    delete process.env.TALLY_AUDIT_SIGNING_KEY;
    process.env.LOG_LEVEL = 'silent';
    dir = mkdtempSync(join(tmpdir(), 'tally-audit-export-'));

    const store = new PostgresEventStore(sql);
    from = new Date(Date.now() - 60_000).toISOString();
    // Interleaved streams, so that each stream's events sit apart in the global log.
    await store.append(cart, [event('CartCreated', { cartId: cart })], { expectedVersion: 'no_stream' });
    await store.append(
      order,
      [event('OrderPlaced', { quantity: 2, sku: 'SKU-1', note: 'a "quoted", text\nline' })],
      {
        expectedVersion: 'no_stream',
      },
    );
    // Numbers JavaScript cannot hold exactly, appended as JSON text: jsonb keeps them, and so must the export.
    const itemAdded = event('ItemAdded', null);
    await sql.query(`SELECT last_version FROM event_store_append($1, $2::jsonb, 'version', 1)`, [
      cart,
      `[{"event_id": "${itemAdded.eventId}", "type": "ItemAdded", "metadata": ${JSON.stringify(itemAdded.metadata)},
        "data": {"sku": "SKU-1", "quantity": 2, "price": 12345678901234567890, "ratio": 1.50}}]`,
    ]);
    await store.append(payment, [event('PaymentAuthorized', { amount: 19.99, currency: 'EUR' })], {
      expectedVersion: 'no_stream',
    });
    await store.append(
      order,
      [event('OrderPaid', { amount: 19.99 }), event('OrderShipped', { carrier: 'Ünïcode ✓' })],
      { expectedVersion: 1 },
    );
    await store.append(cart, [event('CartCheckedOut', { orderId: order })], { expectedVersion: 2 });
    await store.append(order, [event('OrderDelivered', { at: 1e-7 })], { expectedVersion: 3 });
    const { checkpoint: last } = await store.append(payment, [event('PaymentCaptured', { amount: 19.99 })], {
      expectedVersion: 1,
    });
    await untilReadable(store, last, 60_000);
    to = new Date(Date.now() + 60_000).toISOString();
    await store.close();

    signer = createSigner(generateKeyPairSync('ed25519').privateKey);
    await createCheckpoint(sql, signer);
  });

  afterAll(async () => {
    await schema.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('as JSON lines', () => {
    let text: string;

    beforeAll(async () => {
      const result = await runTally('audit', 'export', '--from', from, '--to', to, '--format', 'jsonl');
      expect(result.stderr).toContain('Exported 9 events of 3 streams');
      expect(result.code).toBe(0);
      text = result.stdout;
    });

    it('writes the covering signed checkpoint, then every event with its proof, and verifies offline', () => {
      const [header, ...events] = lines(text);
      expect(header!.json).toMatchObject({
        format: 'tally-audit-export/v1',
        hash: 'sha256',
        canonicalJson: 'postgresql-jsonb-text',
        checkpoint: { sequence: 1, leafCount: 9, publicKey: signer.publicKey, keyId: signer.keyId },
      });
      expect(events.map((e) => [e.json.streamId, e.json.version])).toEqual([
        [cart, 1],
        [order, 1],
        [cart, 2],
        [payment, 1],
        [order, 2],
        [order, 3],
        [cart, 3],
        [order, 4],
        [payment, 2],
      ]);
      expect(events.map((e) => e.json.leafIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      // jsonb's text: exact numbers, never in exponent notation.
      expect(events[2]!.raw).toContain('"price": 12345678901234567890');
      expect(events[2]!.raw).toContain('"ratio": 1.50');
      expect(events[7]!.raw).toContain('"at": 0.0000001');
      const result = verifyExport(text, { publicKey: signer.publicKey });
      expect(result.failures).toEqual([]);
      expect(result).toMatchObject({ ok: true, events: 9, streams: 3 });
    });

    it('proves one stream against the same checkpoint, chained from its first exported event', async () => {
      const result = await runTally(
        'audit',
        'export',
        '--from',
        from,
        '--to',
        to,
        '--stream',
        order,
        '--format',
        'jsonl',
      );
      expect(result.code).toBe(0);
      const [, ...events] = lines(result.stdout);
      expect(events.map((e) => [e.json.version, e.json.leafIndex])).toEqual([
        [1, 1],
        [2, 4],
        [3, 5],
        [4, 7],
      ]);
      expect(verifyExport(result.stdout, { publicKey: signer.publicKey })).toMatchObject({
        ok: true,
        events: 4,
      });
    });

    it('fails an edited data field, naming the line, stream, version and the altered hash', () => {
      const raws = lines(text).map((l) => l.raw);
      const edited = JSON.parse(raws[2]!) as { data: { quantity: number } };
      edited.data.quantity = 20;
      raws[2] = JSON.stringify(edited);
      const result = verifyExport(rejoin(raws));
      expect(result.ok).toBe(false);
      expect(result.failures).toEqual([
        { line: 3, streamId: order, version: 1, message: expect.stringMatching(/^altered: /) as string },
      ]);
    });

    it('fails a line removed from the middle of a stream as a chain gap', () => {
      const raws = lines(text).map((l) => l.raw);
      raws.splice(5, 1); // the order's version 2 (line 6)
      const result = verifyExport(rejoin(raws));
      expect(result.ok).toBe(false);
      expect(result.failures).toEqual([
        {
          line: 6,
          streamId: order,
          version: 3,
          message: expect.stringContaining('chain gap: version 2 is missing') as string,
        },
      ]);
    });

    it('fails a swapped proof element', () => {
      const raws = lines(text).map((l) => l.raw);
      // Edited as text: re-serialising the line through JSON.parse would also round its exact numbers.
      const [proofText] = /"proof":(\[[^\]]*\])/.exec(raws[3]!)!;
      const proof = JSON.parse(proofText.slice('"proof":'.length)) as string[];
      expect(proof.length).toBeGreaterThanOrEqual(2);
      const swapped = [proof[1], proof[0], ...proof.slice(2)];
      raws[3] = raws[3]!.replace(proofText, `"proof":${JSON.stringify(swapped)}`);
      const result = verifyExport(rejoin(raws));
      expect(result.failures).toEqual([
        {
          line: 4,
          streamId: cart,
          version: 2,
          message: 'inclusion proof does not lead to the root of checkpoint #1',
        },
      ]);
    });

    it('fails a checkpoint signed by another key when the real key is pinned', () => {
      const raws = lines(text).map((l) => l.raw);
      const header = JSON.parse(raws[0]!) as { checkpoint: Parameters<typeof checkpointMessage>[0] };
      const forger = createSigner(generateKeyPairSync('ed25519').privateKey);
      const forged = {
        ...header,
        checkpoint: {
          ...header.checkpoint,
          keyId: forger.keyId,
          publicKey: forger.publicKey,
          signature: forger.sign(checkpointMessage(header.checkpoint)),
        },
      };
      raws[0] = JSON.stringify(forged);
      // Self-consistent: only pinning the operator's key tells the forgery apart.
      expect(verifyExport(rejoin(raws)).ok).toBe(true);
      const result = verifyExport(rejoin(raws), { publicKey: signer.publicKey });
      expect(result.failures).toEqual([
        {
          line: 1,
          message: `checkpoint #1 is signed by key ${forger.keyId}, not by the pinned key ${signer.keyId}`,
        },
      ]);
    });

    it('fails an edited root: the signature no longer verifies and no proof reaches it', () => {
      const raws = lines(text).map((l) => l.raw);
      const header = JSON.parse(raws[0]!) as { checkpoint: { root: string } };
      header.checkpoint.root = header.checkpoint.root.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      raws[0] = JSON.stringify(header);
      const result = verifyExport(rejoin(raws), { publicKey: signer.publicKey });
      expect(result.failures[0]).toEqual({
        line: 1,
        message: 'checkpoint #1: the Ed25519 signature does not verify (checkpoint edited or forged)',
      });
      expect(result.failureCount).toBe(1 + 9);
    });
  });

  describe('as CSV', () => {
    let file: string;

    beforeAll(async () => {
      file = join(dir, 'export.csv');
      const result = await runTally(
        'audit',
        'export',
        '--from',
        from,
        '--to',
        to,
        '--format',
        'csv',
        '--out',
        file,
      );
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
    });

    it('writes RFC 4180 rows that the standalone verifier accepts', () => {
      const text = readFileSync(file, 'utf8');
      expect(text.split('\r\n')[0]).toBe(
        'record,leaf_index,position,event_id,stream_id,version,type,recorded_at,data,metadata,previous_hash,hash,proof',
      );
      expect(text.split('\r\n')[1]).toMatch(/^checkpoint,,,,,,,,"\{""format"":""tally-audit-export\/v1""/);
      expect(existsSync(`${file}.partial`)).toBe(false);
      const result = verifyExport(text, { publicKey: signer.publicKey });
      expect(result.failures).toEqual([]);
      expect(result).toMatchObject({ ok: true, format: 'csv', events: 9, streams: 3 });
    });

    it('runs the same verifier from the CLI, and fails an edited file there too', async () => {
      const ok = await runTally('audit', 'verify-export', file, '--public-key', signer.publicKey);
      expect(ok.stdout).toContain('OK: 9 events in 3 streams');
      expect(ok.code).toBe(0);

      const edited = join(dir, 'edited.csv');
      const text = readFileSync(file, 'utf8').replace('""carrier"": ""Ünïcode ✓""', '""carrier"": ""Other""');
      writeFileSync(edited, text);
      const failed = await runTally('audit', 'verify-export', edited, '--public-key', signer.publicKey);
      expect(failed.stdout).toMatch(new RegExp(`FAIL line \\d+, stream ${order}, version 3: altered: `));
      expect(failed.code).toBe(1);
    });
  });

  describe('bad usage', () => {
    it.each([
      [['--from', 'yesterday', '--to', '2026-01-01', '--format', 'jsonl'], '--from must be an ISO-8601'],
      [
        ['--from', '2026-01-02', '--to', '2026-01-01T10:00:00', '--format', 'jsonl'],
        '--to must be an ISO-8601',
      ],
      [['--from', '2026-01-02', '--to', '2026-01-01', '--format', 'jsonl'], '--from must not be after --to'],
      [
        ['--from', '2026-01-01', '--to', '2026-01-02', '--format', 'xml'],
        '--format must be jsonl or csv, not xml',
      ],
      [['--from', '2026-01-01', '--to', '2026-01-02'], '--format is required'],
      [['--to', '2026-01-02', '--format', 'csv'], '--from is required'],
    ])('exits 2 naming the flag for %j', async (flags, message) => {
      const result = await runTally('audit', 'export', ...flags);
      expect(result.stderr).toContain(message);
      expect(result.code).toBe(2);
    });

    it('exits 2 on verify-export without a file', async () => {
      const result = await runTally('audit', 'verify-export');
      expect(result.stderr).toContain('the export <file> is required');
      expect(result.code).toBe(2);
    });
  });

  describe('when no checkpoint covers the events yet', () => {
    it('fails naming TALLY_AUDIT_SIGNING_KEY and leaves no file behind', async () => {
      const store = new PostgresEventStore(sql);
      const late = `order-${randomUUID()}`;
      const { checkpoint } = await store.append(late, [event('OrderPlaced', { quantity: 1 })], {
        expectedVersion: 'no_stream',
      });
      await untilReadable(store, checkpoint, 60_000);
      await store.close();
      const file = join(dir, 'late.jsonl');
      const result = await runTally(
        'audit',
        'export',
        '--from',
        from,
        '--to',
        new Date(Date.now() + 60_000).toISOString(),
        '--stream',
        late,
        '--format',
        'jsonl',
        '--out',
        file,
      );
      expect(result.stderr).toContain('TALLY_AUDIT_SIGNING_KEY');
      expect(result.code).toBe(1);
      expect(existsSync(file)).toBe(false);
      expect(existsSync(`${file}.partial`)).toBe(false);
    });
  });
});
