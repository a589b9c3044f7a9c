import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { OtpPurpose } from './entities/otp-send.entity';

export interface OtpSendKey {
  purpose: OtpPurpose;
  userId: string;
  /** The phone DOKU sends the OTP to; null when unknown (then only the user is counted). */
  phone: string | null;
}

/** For each send still in the window: whose it is, and how long until it leaves the window. */
export interface SendInWindow {
  byUser: boolean;
  byPhone: boolean;
  secondsLeft: number;
}

@Injectable()
export class OtpSendsRepository {
  /**
   * Serialises the OTP sends of one user and of one phone until the transaction ends, so a burst
   * of concurrent requests is counted one by one. Always the user first, then the phone: no cycles.
   */
  async lock(tx: EntityManager, key: OtpSendKey): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`otp_sends:user:${key.userId}`]);
    if (key.phone) await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`otp_sends:phone:${key.phone}`]);
  }

  /**
   * The sends of this purpose by the user or to the phone within the window, newest first. The clock
   * is the statement's (clock_timestamp), not the transaction's start: a transaction that waited for
   * the lock must not see sends of later transactions as if they were in its future.
   */
  async inWindow(tx: EntityManager, key: OtpSendKey, windowSeconds: number): Promise<SendInWindow[]> {
    const rows = await tx.query<Array<{ by_user: boolean; by_phone: boolean; seconds_left: number }>>(
      `SELECT user_id = $2 AS by_user, coalesce(phone = $3, false) AS by_phone,
              EXTRACT(EPOCH FROM sent_at + make_interval(secs => $4) - clock_timestamp())::float8 AS seconds_left
         FROM otp_sends
        WHERE purpose = $1 AND sent_at > clock_timestamp() - make_interval(secs => $4) AND (user_id = $2 OR phone = $3)
        ORDER BY sent_at DESC`,
      [key.purpose, key.userId, key.phone, windowSeconds],
    );
    return rows.map((r) => ({ byUser: r.by_user, byPhone: r.by_phone, secondsLeft: Number(r.seconds_left) }));
  }

  /** Records one send, and drops this key's sends that have left the window. */
  async record(tx: EntityManager, key: OtpSendKey, windowSeconds: number): Promise<void> {
    await tx.query(
      `DELETE FROM otp_sends WHERE purpose = $1 AND (user_id = $2 OR phone = $3) AND sent_at <= clock_timestamp() - make_interval(secs => $4)`,
      [key.purpose, key.userId, key.phone, windowSeconds],
    );
    await tx.query(`INSERT INTO otp_sends (user_id, phone, purpose, sent_at) VALUES ($1, $2, $3, clock_timestamp())`, [
      key.userId,
      key.phone,
      key.purpose,
    ]);
  }
}
