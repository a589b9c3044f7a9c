import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { AppConfigService } from '../config/app-config.service';
import { OutboxRepository } from '../outbox/outbox.repository';

/**
 * Per-account sign-in lockout, independent of the client's address: after `threshold` failed
 * sign-ins in a row the account key is locked for `baseSeconds`, doubling with each further failure
 * up to `maxSeconds`. While locked, even the right password is refused (429 AUTH.ACCOUNT_LOCKED with
 * Retry-After), so spreading guesses over many addresses gains nothing. A success clears the count;
 * failures older than a day are forgotten.
 *
 * The key is the lower-cased email, whether or not an account has it: an unknown email locks the
 * same way, so a lock reveals nothing about who is registered. The state lives in PostgreSQL, so
 * every instance sees the same count. Locking and releasing a real account append an outbox event
 * (user.sign_in_locked, user.sign_in_unlocked) for the partner's systems to tell the person.
 */
@Injectable()
export class LoginLockoutService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfigService,
    private readonly outbox: OutboxRepository,
  ) {}

  static keyFor(email: string): string {
    return email.trim().toLowerCase();
  }

  /** Throws AUTH.ACCOUNT_LOCKED while the key is locked. */
  async assertNotLocked(key: string): Promise<void> {
    const rows: { seconds: number }[] = await this.db.query(
      `SELECT ceil(extract(epoch FROM locked_until - now()))::int AS seconds FROM login_attempts WHERE account_key = $1 AND locked_until > now()`,
      [key],
    );
    if (rows.length) throw this.lockedError(Math.max(1, rows[0].seconds));
  }

  /** Counts a failed sign-in; locks the key when the count reaches the threshold. */
  async recordFailure(key: string, userId: string | null): Promise<void> {
    const { threshold, baseSeconds, maxSeconds } = this.config.auth.lockout;
    await this.db.transaction(async (tx) => {
      // The count is read and written in one statement on the row's latest version, so concurrent
      // failures (from any instance) each count.
      const n = `CASE WHEN l.last_failure_at > now() - interval '1 day' THEN l.failures + 1 ELSE 1 END`;
      const lockFor = (count: string) =>
        `CASE WHEN ${count} >= $2 THEN now() + make_interval(secs => LEAST($4::float8, $3::float8 * power(2, ${count} - $2))) END`;
      const rows: { failures: number; locked_until: Date | null }[] = await tx.query(
        `INSERT INTO login_attempts AS l (account_key, failures, locked_until, last_failure_at)
         VALUES ($1, 1, ${lockFor('1')}, now())
         ON CONFLICT (account_key) DO UPDATE SET failures = ${n}, locked_until = ${lockFor(n)}, last_failure_at = now()
         RETURNING failures, locked_until`,
        [key, threshold, baseSeconds, maxSeconds],
      );
      const row = rows[0];
      if (row.locked_until && userId) {
        await this.outbox.append(tx, {
          type: 'user.sign_in_locked',
          aggregateType: 'user',
          aggregateId: userId,
          userId,
          payload: { userId, failedAttempts: row.failures, lockedUntil: new Date(row.locked_until).toISOString() },
        });
      }
    });
  }

  /** A successful sign-in: the count starts again. */
  async recordSuccess(key: string): Promise<void> {
    await this.db.query(`DELETE FROM login_attempts WHERE account_key = $1`, [key]);
  }

  /** Back office releases a lock (and the count behind it). True when there was one. */
  async release(userId: string, email: string, releasedBy: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const deleted: { was_locked: boolean }[] = await tx.query(
        `WITH gone AS (DELETE FROM login_attempts WHERE account_key = $1 RETURNING locked_until)
         SELECT coalesce(locked_until > now(), false) AS was_locked FROM gone`,
        [LoginLockoutService.keyFor(email)],
      );
      if (!deleted[0]?.was_locked) return false;
      await this.outbox.append(tx, {
        type: 'user.sign_in_unlocked',
        aggregateType: 'user',
        aggregateId: userId,
        userId,
        payload: { userId, releasedBy },
      });
      return true;
    });
  }

  /** When each locked account's sign-in lock ends, by lower-cased email; unlocked ones are absent. */
  async lockedUntil(emails: string[]): Promise<Map<string, Date>> {
    if (!emails.length) return new Map();
    const rows: { account_key: string; locked_until: Date }[] = await this.db.query(
      `SELECT account_key, locked_until FROM login_attempts WHERE account_key = ANY($1) AND locked_until > now()`,
      [emails.map((e) => LoginLockoutService.keyFor(e))],
    );
    return new Map(rows.map((r) => [r.account_key, r.locked_until]));
  }

  private lockedError(seconds: number): AppError {
    return new AppError(
      'AUTH.ACCOUNT_LOCKED',
      'Too many failed sign-ins for this account; try again later',
      { retryAfterSeconds: seconds },
      { 'Retry-After': String(seconds) },
    );
  }
}
