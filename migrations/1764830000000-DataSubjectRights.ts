import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The record of each erasure asked for under Indonesia's personal data protection law: whose, who
 * asked (the user, or the back office with its support ticket), when, where it stands, and what was
 * done to each table (counts only: the record itself holds no personal data).
 */
export class DataSubjectRights1764830000000 implements MigrationInterface {
  name = 'DataSubjectRights1764830000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE data_subject_erasures (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL,
        requested_by_kind text NOT NULL,
        requested_by uuid NOT NULL,
        ticket text,
        status text NOT NULL,
        summary jsonb NOT NULL,
        requested_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        CONSTRAINT data_subject_erasures_pkey PRIMARY KEY (id),
        CONSTRAINT data_subject_erasures_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE RESTRICT,
        CONSTRAINT data_subject_erasures_requested_by_kind_check CHECK (requested_by_kind IN ('user','admin')),
        CONSTRAINT data_subject_erasures_status_check CHECK (status IN ('AWAITING_UNBINDING_OTP','COMPLETED')),
        CONSTRAINT data_subject_erasures_completed_check CHECK ((status = 'COMPLETED') = (completed_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX data_subject_erasures_user_id_idx ON data_subject_erasures (user_id, requested_at)`);
    // At most one completed erasure per user: a second request finds the first.
    await q.query(`CREATE UNIQUE INDEX data_subject_erasures_one_completed ON data_subject_erasures (user_id) WHERE status = 'COMPLETED'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE data_subject_erasures`);
  }
}
