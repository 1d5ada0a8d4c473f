import { randomBytes } from 'node:crypto';
import { PgSqlClient, quoteIdentifier } from '@tally/database';

const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
let announced = false;

/** The PostgreSQL server integration tests run against: `TEST_DATABASE_URL`, announced once when defaulted. */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (url) return url;
  if (!announced) {
    announced = true;
    process.stderr.write(
      `TEST_DATABASE_URL is not set; integration tests use ${DEFAULT_TEST_DATABASE_URL}\n`,
    );
  }
  return DEFAULT_TEST_DATABASE_URL;
}

/** A fresh, uniquely named identifier for a test's schema, database or stream. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export interface TestSchema {
  readonly schema: string;
  readonly url: string;
  /** A client whose search path puts the fresh schema first. */
  readonly client: PgSqlClient;
  /** Opens another client on the same schema (e.g. a second connection pool). */
  connect(maxConnections?: number): PgSqlClient;
  /** Closes every client opened here and drops the schema. */
  drop(): Promise<void>;
}

/** Creates a fresh schema on the test server; each integration test gets its own. */
export async function createTestSchema(prefix = 'test', maxConnections = 10): Promise<TestSchema> {
  const url = testDatabaseUrl();
  const schema = uniqueName(prefix);
  const admin = new PgSqlClient({ connectionString: url, maxConnections: 1 });
  await admin.exec(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
  await admin.close();
  const clients: PgSqlClient[] = [];
  const connect = (max = maxConnections) => {
    const client = new PgSqlClient({
      connectionString: url,
      schema,
      maxConnections: max,
      applicationName: schema,
    });
    clients.push(client);
    return client;
  };
  const client = connect();
  return {
    schema,
    url,
    client,
    connect,
    async drop() {
      await Promise.all(clients.map((c) => c.close()));
      const cleanup = new PgSqlClient({ connectionString: url, maxConnections: 1 });
      await cleanup.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      await cleanup.close();
    },
  };
}

/** Creates a fresh database on the test server (for end-to-end runs that own a whole database). */
export async function createTestDatabase(
  prefix = 'tally_e2e',
): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = testDatabaseUrl();
  const name = uniqueName(prefix);
  const admin = new PgSqlClient({ connectionString: serverUrl, maxConnections: 1 });
  await admin.exec(`CREATE DATABASE ${quoteIdentifier(name)}`);
  await admin.close();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const cleanup = new PgSqlClient({ connectionString: serverUrl, maxConnections: 1 });
      await cleanup.exec(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
      await cleanup.close();
    },
  };
}
