import type { MigrationSet } from '@tally/database';

/**
 * The audit tables (docs/audit.md). Both are append-only like `events`: a trigger refuses UPDATE, DELETE
 * and TRUNCATE, and the application role is granted SELECT and INSERT only.
 */
export const auditMigrations: MigrationSet = {
  module: 'audit',
  migrations: [
    {
      id: '0001_audit_tables',
      sql: `
CREATE TABLE audit_checkpoints (
  sequence bigint PRIMARY KEY CHECK (sequence >= 1),
  up_to text COLLATE "C" NOT NULL,
  leaf_count bigint NOT NULL CHECK (leaf_count >= 0),
  root text NOT NULL,
  frontier jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  key_id text NOT NULL,
  public_key text NOT NULL,
  signature text NOT NULL
);
CREATE TABLE audit_verifications (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  scope text NOT NULL,
  checkpoint_sequence bigint,
  events_checked bigint NOT NULL,
  streams_checked bigint NOT NULL,
  ok boolean NOT NULL,
  breaks jsonb NOT NULL
);
CREATE INDEX audit_verifications_recent ON audit_verifications (finished_at DESC);
`,
    },
    {
      id: '0002_audit_append_only',
      sql: `CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'TL001', HINT = 'Checkpoints and verification runs are never edited or removed.';
END
$$;
CREATE TRIGGER audit_checkpoints_refuse_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_refuse_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_verifications_refuse_update_delete BEFORE UPDATE OR DELETE ON audit_verifications
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_verifications_refuse_truncate BEFORE TRUNCATE ON audit_verifications
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
DO $$
BEGIN
  -- The event store's migrations create the role where they may; without it there is nothing to grant.
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tally_app') THEN
    RETURN;
  END IF;
  REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoints, audit_verifications FROM PUBLIC, tally_app;
  GRANT SELECT, INSERT ON audit_checkpoints, audit_verifications TO tally_app;
  GRANT USAGE, SELECT ON SEQUENCE audit_verifications_id_seq TO tally_app;
END
$$;
`,
    },
  ],
};
