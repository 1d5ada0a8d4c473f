import type { MigrationSet } from '@tally/database';
import { identityMigrations } from './identity/identity.schema';

/**
 * command-api's own tables.
 *
 * `command_idempotency_keys` remembers the first result of each `Idempotency-Key` for 24 hours (see
 * docs/adr/0004-command-edge.md). A row is `in_progress` while its request runs, holding a lease
 * (`locked_until`) so that a request that died with its process does not block the key forever, then
 * `completed` with the response to replay. `scope` is the actor id: one client cannot replay another's key.
 *
 * Identity's tables (credentials, refresh tokens, sign-in attempts, mail outbox) are described in
 * `identity/identity.schema.ts`.
 */
export const commandApiOwnMigrations: MigrationSet = {
  module: 'command-api',
  migrations: [
    {
      id: '0001_idempotency_keys',
      sql: `CREATE TABLE command_idempotency_keys (
  scope text NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  claim_id uuid NOT NULL,
  state text NOT NULL,
  response_status integer,
  response_headers jsonb,
  response_body jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  CONSTRAINT command_idempotency_keys_pkey PRIMARY KEY (scope, key),
  CONSTRAINT command_idempotency_keys_state CHECK (state IN ('in_progress', 'completed')),
  CONSTRAINT command_idempotency_keys_response CHECK (state = 'in_progress' OR response_status IS NOT NULL)
);
CREATE INDEX command_idempotency_keys_expiry ON command_idempotency_keys (expires_at);
`,
    },
    ...identityMigrations,
  ],
};
