import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity';

export const REGISTRATION_STATUSES = ['OTP_SENT', 'OTP_VERIFIED', 'COMPLETED', 'FAILED', 'EXPIRED'] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

/** One attempt to create a DOKU Wallet account (docs/doku-integration.md#registration). */
@Entity('wallet_registrations')
@Check('wallet_registrations_status_check', `status IN ('OTP_SENT','OTP_VERIFIED','COMPLETED','FAILED','EXPIRED')`)
// In the database created_at is descending (newest first); TypeORM cannot declare an index column's order.
@Index('wallet_registrations_user_id_idx', ['userId', 'createdAt'])
export class WalletRegistration {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'wallet_registrations_pkey' })
  id: string;

  @ForeignKey(() => User, { name: 'wallet_registrations_user_id_fkey', onDelete: 'RESTRICT' })
  @Column({ type: 'uuid' })
  userId: string;

  @Index('wallet_registrations_partner_reference_no_key', { unique: true })
  @Column({ type: 'text' })
  partnerReferenceNo: string;

  /** DOKU's activity id from Account Creation, sent back as originalReferenceNo in Verify OTP. */
  @Column({ type: 'text', nullable: true })
  dokuReferenceNo: string | null;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  email: string;

  @Column({ type: 'text' })
  phone: string;

  @Column({ type: 'text' })
  status: RegistrationStatus;

  @Column({ type: 'integer', default: 0 })
  otpFailedAttempts: number;

  @Column({ type: 'integer', default: 0 })
  otpResends: number;

  @Column({ type: 'timestamptz', nullable: true })
  lastOtpSentAt: Date | null;

  @Column({ type: 'text', nullable: true })
  dokuAccountId: string | null;

  @Column({ type: 'text', nullable: true })
  failureCode: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
