import type { Migration } from '@tally/database';

/**
 * Identity's own tables in command-api. None of them is an event: they hold what must never be in the
 * immutable, exported event log (password hashes, token hashes, mail bodies) or what is only operational
 * (attempt counters).
 *
 * - `customer_credentials`: the argon2id hash of each account's password.
 * - `auth_refresh_tokens`: SHA-256 of every refresh token issued; tokens of one sign-in form a family
 *   (`family_id`); a token is spent when rotated (`used_at`); a family is revoked as a whole.
 * - `auth_attempts`: failed sign-ins per account (email digest) and per IP in a fixed window, shared by
 *   every command-api instance.
 * - `mail_outbox`: mail waiting to go out. A row is written before the event that justifies it and is sent
 *   only once that event (found by its command id in `stream_id`) is stored; see `mail-outbox.ts`.
 */
export const identityMigrations: readonly Migration[] = [
  {
    id: '0002_identity',
    sql: `CREATE TABLE customer_credentials (
  customer_id text PRIMARY KEY,
  password_hash text NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE TABLE auth_refresh_tokens (
  token_hash text PRIMARY KEY,
  family_id uuid NOT NULL,
  customer_id text NOT NULL,
  issued_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX auth_refresh_tokens_family ON auth_refresh_tokens (family_id);
CREATE INDEX auth_refresh_tokens_customer ON auth_refresh_tokens (customer_id);
CREATE INDEX auth_refresh_tokens_expiry ON auth_refresh_tokens (expires_at);
CREATE TABLE auth_attempts (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  window_started_at timestamptz NOT NULL
);
CREATE TABLE mail_outbox (
  id uuid PRIMARY KEY,
  stream_id text NOT NULL,
  command_id text NOT NULL,
  recipient text NOT NULL,
  subject text NOT NULL,
  body_text text NOT NULL,
  body_html text,
  created_at timestamptz NOT NULL,
  next_attempt_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  last_error text,
  sent_at timestamptz,
  dropped_at timestamptz,
  CONSTRAINT mail_outbox_command UNIQUE (stream_id, command_id)
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND dropped_at IS NULL;
`,
  },
];
