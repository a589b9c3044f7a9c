import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { WalletRegistration } from './entities/wallet-registration.entity';

export interface NewRegistration {
  userId: string;
  partnerReferenceNo: string;
  name: string;
  email: string;
  phone: string;
}

export interface ResendClaim {
  userId: string;
  registrationId: string;
  newPartnerReferenceNo: string;
  minIntervalSeconds: number;
  maxResends: number;
}

@Injectable()
export class WalletRegistrationsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private repo(tx?: EntityManager) {
    return (tx ?? this.db.manager).getRepository(WalletRegistration);
  }

  /** The user's own registration; another user's id reads as absent (404). */
  findByIdForUser(id: string, userId: string, tx?: EntityManager): Promise<WalletRegistration | null> {
    return this.repo(tx).findOne({ where: { id, userId } });
  }

  findLatestForUser(userId: string): Promise<WalletRegistration | null> {
    return this.repo().findOne({ where: { userId }, order: { createdAt: 'DESC' } });
  }

  /** Locked until the transaction ends: the registration callback completes it at most once. */
  findByPartnerReferenceForUpdate(tx: EntityManager, partnerReferenceNo: string): Promise<WalletRegistration | null> {
    return this.repo(tx).findOne({ where: { partnerReferenceNo }, lock: { mode: 'pessimistic_write' } });
  }

  create(tx: EntityManager, input: NewRegistration): Promise<WalletRegistration> {
    return this.repo(tx).save(
      this.repo(tx).create({ ...input, status: 'OTP_SENT', otpFailedAttempts: 0, otpResends: 0, lastOtpSentAt: null }),
    );
  }

  /** Earlier unfinished attempts of the user end when a new one starts (DOKU supersedes them too). */
  async expireOpenForUser(tx: EntityManager, userId: string): Promise<void> {
    await tx.query(
      `UPDATE wallet_registrations SET status = 'EXPIRED', updated_at = now()
        WHERE user_id = $1 AND status IN ('OTP_SENT', 'OTP_VERIFIED')`,
      [userId],
    );
  }

  async update(id: string, patch: Partial<WalletRegistration>, tx?: EntityManager): Promise<void> {
    await this.repo(tx).update({ id }, patch);
  }

  /** Counts a wrong OTP; returns the new number of failed attempts. */
  async countFailedOtp(id: string, failureCode: string | null): Promise<number> {
    const rows = (await this.db.query(
      `UPDATE wallet_registrations SET otp_failed_attempts = otp_failed_attempts + 1, failure_code = $2, updated_at = now()
        WHERE id = $1 RETURNING otp_failed_attempts`,
      [id, failureCode],
    )) as [Array<{ otp_failed_attempts: number }>, number];
    return rows[0][0]?.otp_failed_attempts ?? 0;
  }

  /**
   * Atomically takes a resend slot: only for the owner's registration still waiting for its OTP,
   * when the last OTP is older than the minimum interval and the cap is not reached. The new
   * partnerReferenceNo is stored in the same statement, before DOKU is called. Null when refused.
   */
  async claimResend(claim: ResendClaim): Promise<WalletRegistration | null> {
    const rows = (await this.db.query(
      `UPDATE wallet_registrations
          SET partner_reference_no = $3, doku_reference_no = NULL, otp_resends = otp_resends + 1,
              otp_failed_attempts = 0, failure_code = NULL, last_otp_sent_at = now(), updated_at = now()
        WHERE id = $1 AND user_id = $2 AND status = 'OTP_SENT'
          AND otp_resends < $5
          AND (last_otp_sent_at IS NULL OR last_otp_sent_at <= now() - make_interval(secs => $4))
        RETURNING id`,
      [claim.registrationId, claim.userId, claim.newPartnerReferenceNo, claim.minIntervalSeconds, claim.maxResends],
    )) as [Array<{ id: string }>, number];
    if (rows[0].length === 0) return null;
    return this.findByIdForUser(claim.registrationId, claim.userId);
  }
}
