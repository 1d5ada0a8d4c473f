import { Writable } from 'node:stream';
import type { Checkpoint, PostgresEventStore } from '@tally/event-store';
import {
  createTestSchema,
  TEST_AUTH_SECRET,
  type TestSchema,
  type TestWarehouse,
  testWarehouse,
} from '@tally/testing';
import { runCli } from '../src/main';

/** What one run of the CLI printed, and how it exited. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A stream that keeps what is written to it. */
function capture(): { readonly stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** Runs `npm run tally -- <argv>` in this process, non-interactively, capturing what it prints. */
export async function runTally(...argv: string[]): Promise<CliRun> {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(argv, { stdout: stdout.stream, stderr: stderr.stream, interactive: false });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/**
 * A fresh test schema that the CLI connects to: like the apps, the CLI reads its configuration from the
 * environment, so `DATABASE_URL` points at the test server with the schema as the connection's search_path,
 * and the test auth secret is set. `drop()` puts the environment back as it was, then drops the schema.
 */
export async function createCliSchema(prefix: string, maxConnections?: number): Promise<TestSchema> {
  const saved = { ...process.env };
  const schema = await createTestSchema(prefix, maxConnections);
  const url = new URL(schema.url);
  url.searchParams.set('options', `-c search_path=${schema.schema},public`);
  process.env.DATABASE_URL = url.toString();
  process.env.TALLY_AUTH_SECRET = TEST_AUTH_SECRET;
  // The tests' events live in this schema: neither another event store nor a message bus may be picked up.
  delete process.env.NATS_URL;
  delete process.env.EVENTSTORE_URL;
  return {
    ...schema,
    async drop() {
      process.env = saved;
      await schema.drop();
    },
  };
}

/**
 * A warehouse of the test's own (a schema and an analyst role, see `testWarehouse`) in the main database of
 * `db`, set in the environment the CLI reads; `db.drop()` puts the environment back, `drop()` the warehouse.
 */
export function useCliWarehouse(db: TestSchema): TestWarehouse {
  const warehouse = testWarehouse(db.schema, db.url);
  Object.assign(process.env, warehouse.settings);
  delete process.env.WAREHOUSE_URL;
  return warehouse;
}

/**
 * Waits until `readAll` can deliver `checkpoint`. The CLI works on the gap-safe log only, and its horizon is
 * server-wide: another session's open transaction on the shared test server can hold it back for a while.
 */
export async function untilReadable(
  store: PostgresEventStore,
  checkpoint: Checkpoint,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await store.headCheckpoint()) < checkpoint) {
    if (Date.now() > deadline)
      throw new Error(`the log did not become readable up to ${checkpoint} in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
