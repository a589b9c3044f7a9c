import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in protection shared by every instance of the backend:
 * - login_attempts: consecutive failed sign-ins per account (the lower-cased email, whether or not
 *   an account has it, so a lock says nothing about who is registered) and the lock they earned;
 * - rate_limit_counters: fixed-window request counters of the sensitive routes (sign-in,
 *   registration, tokens, OTPs) per client address, so a limit holds across instances.
 */
export class LoginProtection1764300000000 implements MigrationInterface {
  name = 'LoginProtection1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE login_attempts (
        account_key text PRIMARY KEY,
        failures integer NOT NULL,
        locked_until timestamptz,
        last_failure_at timestamptz NOT NULL,
        CONSTRAINT login_attempts_failures_check CHECK (failures > 0)
      )`);
    await q.query(`
      CREATE TABLE rate_limit_counters (
        key text PRIMARY KEY,
        hits integer NOT NULL,
        window_ends_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX rate_limit_counters_window_ends_at_idx ON rate_limit_counters (window_ends_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rate_limit_counters`);
    await q.query(`DROP TABLE login_attempts`);
  }
}
