import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { returningRows } from '../common/database/sql';
import { OutboxRepository } from '../outbox/outbox.repository';
import { RegistrationStatus, WalletRegistration } from './entities/wallet-registration.entity';
import { registrationChangedEvent } from './wallet-events';

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
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxRepository,
  ) {}

  private repo(tx?: EntityManager) {
    return (tx ?? this.db.manager).getRepository(WalletRegistration);
  }
  /** The user's latest attempt, whatever its outcome. */
  findLatestForUser(userId: string): Promise<WalletRegistration | null> {
    return this.repo().findOne({ where: { userId }, order: { createdAt: 'DESC' } });
  }

  /** The user's own registration; another user's id reads as absent (404). */
  findByIdForUser(id: string, userId: string, tx?: EntityManager): Promise<WalletRegistration | null> {
    return this.repo(tx).findOne({ where: { id, userId } });
  }

  /** Locked until the transaction ends: the registration callback completes it at most once. */
  findByPartnerReferenceForUpdate(tx: EntityManager, partnerReferenceNo: string): Promise<WalletRegistration | null> {
    return this.repo(tx).findOne({ where: { partnerReferenceNo }, lock: { mode: 'pessimistic_write' } });
  }

  /** Every status write below records `wallet.registration_changed` in the same commit. */
  async create(tx: EntityManager, input: NewRegistration): Promise<WalletRegistration> {
    const created = await this.repo(tx).save(
      this.repo(tx).create({ ...input, status: 'OTP_SENT', otpFailedAttempts: 0, otpResends: 0, lastOtpSentAt: null }),
    );
    await this.outbox.append(tx, registrationChangedEvent(created, null));
    return created;
  }

  /** Earlier unfinished attempts of the user end when a new one starts (DOKU supersedes them too). */
  async expireOpenForUser(tx: EntityManager, userId: string): Promise<void> {
    const rows = await returningRows<{ id: string; previous: RegistrationStatus }>(
      tx,
      `WITH open AS (
         SELECT id, status FROM wallet_registrations
          WHERE user_id = $1 AND status IN ('OTP_SENT', 'OTP_VERIFIED') FOR UPDATE)
       UPDATE wallet_registrations r SET status = 'EXPIRED', updated_at = now()
         FROM open WHERE r.id = open.id
       RETURNING r.id, open.status AS previous`,
      [userId],
    );
    if (rows.length === 0) return;
    const expired = await this.repo(tx).findBy({ id: In(rows.map((r) => r.id)) });
    for (const row of rows) {
      const registration = expired.find((e) => e.id === row.id);
      if (registration) await this.outbox.append(tx, registrationChangedEvent(registration, row.previous));
    }
  }

  /**
   * A patch that sets `status` is written with its event in one transaction (the caller's, or one
   * of its own); the event is recorded only when the status actually changes.
   */
  async update(id: string, patch: Partial<WalletRegistration>, tx?: EntityManager): Promise<void> {
    if (patch.status === undefined) {
      await this.repo(tx).update({ id }, patch);
      return;
    }
    const write = async (m: EntityManager) => {
      const before = await this.repo(m).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!before) return;
      await this.repo(m).update({ id }, patch);
      if (before.status === patch.status) return;
      const after = await this.repo(m).findOneByOrFail({ id });
      await this.outbox.append(m, registrationChangedEvent(after, before.status));
    };
    await (tx ? write(tx) : this.db.transaction(write));
  }

  /** Counts a wrong OTP; returns the new number of failed attempts. */
  async countFailedOtp(id: string, failureCode: string | null): Promise<number> {
    const rows = await this.db.query<[Array<{ otp_failed_attempts: number }>, number]>(
      `UPDATE wallet_registrations SET otp_failed_attempts = otp_failed_attempts + 1, failure_code = $2, updated_at = now()
        WHERE id = $1 RETURNING otp_failed_attempts`,
      [id, failureCode],
    );
    return rows[0][0]?.otp_failed_attempts ?? 0;
  }

  /**
   * Atomically takes a resend slot: only for the owner's registration still waiting for its OTP,
   * when the last OTP is older than the minimum interval and the cap is not reached. The new
   * partnerReferenceNo is stored in the same statement, before DOKU is called. Null when refused.
   */
  async claimResend(claim: ResendClaim, tx?: EntityManager): Promise<WalletRegistration | null> {
    const rows = await (tx ?? this.db.manager).query<[Array<{ id: string }>, number]>(
      `UPDATE wallet_registrations
          SET partner_reference_no = $3, doku_reference_no = NULL, otp_resends = otp_resends + 1,
              otp_failed_attempts = 0, failure_code = NULL, last_otp_sent_at = now(), updated_at = now()
        WHERE id = $1 AND user_id = $2 AND status = 'OTP_SENT'
          AND otp_resends < $5
          AND (last_otp_sent_at IS NULL OR last_otp_sent_at <= now() - make_interval(secs => $4))
        RETURNING id`,
      [claim.registrationId, claim.userId, claim.newPartnerReferenceNo, claim.minIntervalSeconds, claim.maxResends],
    );
    if (rows[0].length === 0) return null;
    return this.findByIdForUser(claim.registrationId, claim.userId, tx);
  }
}
