import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const OTP_PURPOSES = ['REGISTRATION', 'BINDING', 'UNBINDING'] as const;
export type OtpPurpose = (typeof OTP_PURPOSES)[number];

/**
 * One DOKU call of ours that sends (or may send) an OTP to a phone: Account Creation (also its
 * resends), Account Binding, Account Unbinding. Counted per user and per phone to cap OTP floods
 * (RELIABILITY.md R10); rows older than the window are of no further use and are pruned.
 */
@Entity('otp_sends')
export class OtpSend {
  @PrimaryGeneratedColumn('uuid')
  id: string;

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
