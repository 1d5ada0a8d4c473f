import { loadavg } from 'node:os';
import { quoteIdentifier, type SqlClient } from '@tally/database';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** `BENCH_DATABASE_URL`, else `DATABASE_URL`, else the local server (announced on stderr). */
export function benchDatabaseUrl(): string {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  if (url) return url;
  process.stderr.write(`BENCH_DATABASE_URL and DATABASE_URL are not set; benchmarking ${DEFAULT_URL}\n`);
  return DEFAULT_URL;
}

/** Drops the bench schema and every schema named after it (`<schema>__…`: a rebuild's copies, a warehouse). */
export async function dropBenchSchemas(admin: SqlClient, schema: string): Promise<void> {
  const { rows } = await admin.query<{ name: string }>(
    `SELECT nspname AS name FROM pg_namespace WHERE nspname = $1 OR starts_with(nspname, $1 || '__')`,
    [schema],
  );
  for (const { name } of rows) await admin.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(name)} CASCADE`);
}

/** The machine's load right after a section: other work on it slows every figure above. */
export function printLoad(): void {
  const [one, five] = loadavg();
  console.log(
    `\n(load average after this section: ${one?.toFixed(1)} over 1 min, ${five?.toFixed(1)} over 5 min)`,
  );
}

/** Progress for whoever watches the run; results go to stdout. */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

export async function serverSettings(sql: SqlClient): Promise<Record<string, string>> {
  const { rows } = await sql.query<{ name: string; setting: string }>(
    `SELECT name, current_setting(name) AS setting FROM pg_settings
     WHERE name IN ('server_version', 'shared_buffers', 'synchronous_commit', 'work_mem')`,
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.setting]));
}

/** The parts listed in the environment variable `name` (comma-separated; default all of `parts`). */
export function selectedParts<P extends string>(name: string, parts: readonly P[]): ReadonlySet<P> {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return new Set(parts);
  const listed = raw.split(',').map((part) => part.trim());
  const unknown = listed.filter((part) => !(parts as readonly string[]).includes(part));
  if (unknown.length > 0) {
    throw new RangeError(`${name} must list parts among ${parts.join(', ')}: ${unknown.join(', ')}`);
  }
  return new Set(listed as P[]);
}

export function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer: ${raw}`);
  return value;
}
