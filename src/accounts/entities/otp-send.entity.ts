import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity';

export const OTP_PURPOSES = ['REGISTRATION', 'BINDING', 'UNBINDING'] as const;
export type OtpPurpose = (typeof OTP_PURPOSES)[number];

/**
 * One DOKU call of ours that sends (or may send) an OTP to a phone: Account Creation (also its
 * resends), Account Binding, Account Unbinding. Counted per user and per phone to cap OTP floods
 * (docs/reliability.md, R10); rows older than the window are of no further use and are pruned.
 */
@Entity('otp_sends')
@Check('otp_sends_purpose_check', `purpose IN ('REGISTRATION','BINDING','UNBINDING')`)
@Index('otp_sends_user_idx', ['userId', 'purpose', 'sentAt'])
@Index('otp_sends_phone_idx', ['phone', 'purpose', 'sentAt'], { where: `phone IS NOT NULL` })
export class OtpSend {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'otp_sends_pkey' })
  id: string;

  /** Deleting a user deletes their OTP sends. */
  @ForeignKey(() => User, { name: 'otp_sends_user_id_fkey', onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  userId: string;

  /** The phone DOKU sends the OTP to, when known (62… form). */
  @Column({ type: 'text', nullable: true })
  phone: string | null;

  @Column({ type: 'text' })
  purpose: OtpPurpose;

  @CreateDateColumn({ type: 'timestamptz' })
  sentAt: Date;
}
