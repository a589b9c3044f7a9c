import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The back office's audit trail and its maker-checker approvals (docs/back-office.md).
 *
 * `audit_log` is append-only: a trigger refuses UPDATE, DELETE and TRUNCATE for everyone but a
 * superuser who disables triggers. Each row carries the hash of the row before it and its own hash,
 * so `npm run audit:verify` finds any row changed or removed by someone who could get around the
 * trigger. `audit_chain_head` is the one row writers lock to append in turn (two back-office people
 * acting at once never fork the chain); it may only move forward by one row at a time, to a row
 * that exists.
 */
export class BackOfficeAudit1764820000000 implements MigrationInterface {
  name = 'BackOfficeAudit1764820000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_log (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        occurred_at timestamptz NOT NULL,
        actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'cli', 'service', 'system')),
        actor_id text,
        actor_role text,
        action text NOT NULL,
        target_type text NOT NULL,
        target_id text,
        before jsonb,
        after jsonb,
        ip text,
        user_agent text,
        request_id text,
        prev_hash char(64) NOT NULL,
        hash char(64) NOT NULL UNIQUE
      )`);
    await q.query(`CREATE INDEX audit_log_action_seq_idx ON audit_log (action, seq)`);
    await q.query(`CREATE INDEX audit_log_actor_seq_idx ON audit_log (actor_id, seq)`);
    await q.query(`CREATE INDEX audit_log_target_seq_idx ON audit_log (target_type, target_id, seq)`);
    await q.query(`
      CREATE TABLE audit_chain_head (
        id smallint PRIMARY KEY CHECK (id = 1),
        seq bigint NOT NULL,
        hash char(64) NOT NULL
      )`);
    await q.query(`INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, repeat('0', 64))`);
    await q.query(`
      CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()`);
    await q.query(`
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()`);
    // A new row continues the chain at its head (the writer holds the head's row lock).
    await q.query(`
      CREATE FUNCTION audit_log_check_link() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE head audit_chain_head%ROWTYPE;
      BEGIN
        SELECT * INTO head FROM audit_chain_head WHERE id = 1;
        IF NEW.seq <> head.seq + 1 OR NEW.prev_hash <> head.hash THEN
          RAISE EXCEPTION 'an audit row must continue the chain at its head' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_log_linked BEFORE INSERT ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_check_link()`);
    await q.query(`
      CREATE FUNCTION audit_chain_head_check() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'UPDATE' OR NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1
           OR NOT EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq AND hash = NEW.hash) THEN
          RAISE EXCEPTION 'the audit chain head only moves forward to its newest row' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_chain_head_forward BEFORE UPDATE OR DELETE ON audit_chain_head
        FOR EACH ROW EXECUTE FUNCTION audit_chain_head_check()`);

    await q.query(`
      CREATE TABLE approvals (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('REFUND', 'RESOLUTION')),
        status text NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'EXECUTED', 'REJECTED', 'FAILED')),
        target_id uuid NOT NULL,
        amount bigint,
        payload jsonb NOT NULL,
        reason text NOT NULL,
        requested_by uuid NOT NULL REFERENCES users(id),
        requested_role text NOT NULL,
        decided_by uuid REFERENCES users(id),
        decided_at timestamptz,
        decision_note text,
        result_status int,
        result_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (decided_by IS NULL OR decided_by <> requested_by)
      )`);
    await q.query(`CREATE INDEX approvals_status_created_idx ON approvals (status, created_at DESC)`);
    // One open request to settle a given transaction at a time.
    await q.query(
      `CREATE UNIQUE INDEX approvals_one_open_resolution ON approvals (target_id) WHERE kind = 'RESOLUTION' AND status IN ('PENDING', 'APPROVED')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE approvals`);
    await q.query(`DROP TABLE audit_log`);
    await q.query(`DROP TABLE audit_chain_head`);
    await q.query(`DROP FUNCTION audit_chain_head_check()`);
    await q.query(`DROP FUNCTION audit_log_check_link()`);
    await q.query(`DROP FUNCTION audit_log_refuse_change()`);
  }
}
