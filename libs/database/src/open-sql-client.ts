import { PgSqlClient } from './pg-sql-client';
import { PgliteSqlClient } from './pglite-sql-client';
import type { SqlClient } from './sql-client.port';

export interface OpenSqlClientOptions {
  /** A `postgres://` URL; without one Tally runs on embedded PGlite. */
  readonly databaseUrl?: string | undefined;
  /** PGlite data directory (embedded mode); omit for in-memory. */
  readonly dataDir?: string | undefined;
  readonly schema?: string | undefined;
  readonly maxConnections?: number | undefined;
  readonly applicationName?: string | undefined;
}

/** Opens PostgreSQL when a URL is given, otherwise embedded PGlite. */
export async function openSqlClient(options: OpenSqlClientOptions): Promise<SqlClient> {
  if (options.databaseUrl) {
    const client = new PgSqlClient({
      connectionString: options.databaseUrl,
      ...(options.schema ? { schema: options.schema } : {}),
      ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
      ...(options.applicationName ? { applicationName: options.applicationName } : {}),
    });
    if (options.schema)
      await client.exec(`CREATE SCHEMA IF NOT EXISTS "${options.schema.replace(/"/g, '""')}"`);
    return client;
  }
  return PgliteSqlClient.open({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.schema ? { schema: options.schema } : {}),
  });
}
