import type { SqlClient } from './sql-client.port';

/** One forward-only schema change. `id`s sort in the order they must run (`0001_events`, `0002_...`). */
export interface Migration {
  readonly id: string;
  readonly sql: string;
}

/** The migrations of one module (e.g. `event-store`, `read-models`), applied in `id` order. */
export interface MigrationSet {
  readonly module: string;
  readonly migrations: readonly Migration[];
}

// Any fixed number: serialises concurrent migrators (several apps starting at once) on one database.
const MIGRATION_LOCK = 7_341_001;

/**
 * Applies every migration not applied yet, each in its own transaction, holding an advisory lock so that
 * processes starting together do not race. Returns the ids it applied.
 */
export async function migrate(client: SqlClient, sets: readonly MigrationSet[]): Promise<string[]> {
  return client.session(async (session) => {
    await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await session.query(`CREATE TABLE IF NOT EXISTS tally_migrations (
        module text NOT NULL,
        id text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (module, id)
      )`);
      const applied: string[] = [];
      for (const set of sets) {
        const done = await session.query<{ id: string }>(
          'SELECT id FROM tally_migrations WHERE module = $1',
          [set.module],
        );
        const doneIds = new Set(done.rows.map((row) => row.id));
        const pending = [...set.migrations]
          .filter((m) => !doneIds.has(m.id))
          .sort((a, b) => a.id.localeCompare(b.id));
        for (const migration of pending) {
          await session.query('BEGIN');
          try {
            for (const statement of splitStatements(migration.sql)) await session.query(statement);
            await session.query('INSERT INTO tally_migrations (module, id) VALUES ($1, $2)', [
              set.module,
              migration.id,
            ]);
            await session.query('COMMIT');
          } catch (error) {
            await session.query('ROLLBACK');
            throw new Error(`Migration ${set.module}/${migration.id} failed: ${(error as Error).message}`, {
              cause: error,
            });
          }
          applied.push(`${set.module}/${migration.id}`);
        }
      }
      return applied;
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  });
}

/**
 * Splits a migration into statements on `;` at the end of a line, keeping `$$ ... $$` bodies whole.
 * Migrations are written by us, so this small grammar is enough: one statement may span many lines and
 * every statement ends with `;` followed by a newline.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let inDollarBody = false;
  for (const line of sql.split('\n')) {
    current += line + '\n';
    const dollarQuotes = line.match(/\$\$/g)?.length ?? 0;
    if (dollarQuotes % 2 === 1) inDollarBody = !inDollarBody;
    if (!inDollarBody && line.trimEnd().endsWith(';')) {
      if (current.trim()) statements.push(current.trim());
      current = '';
    }
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
