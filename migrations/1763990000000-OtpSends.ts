import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The OTP sends of the last window, per user and per phone: the cap on OTP floods (docs/reliability.md, R10). */
export class OtpSends1763990000000 implements MigrationInterface {
  name = 'OtpSends1763990000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE otp_sends (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        phone text,
        purpose text NOT NULL CONSTRAINT otp_sends_purpose_check CHECK (purpose IN ('REGISTRATION','BINDING','UNBINDING')),
        sent_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX otp_sends_user_idx ON otp_sends (user_id, purpose, sent_at)`);
    await q.query(`CREATE INDEX otp_sends_phone_idx ON otp_sends (phone, purpose, sent_at) WHERE phone IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE otp_sends`);
  }
}
