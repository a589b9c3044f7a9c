import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const REGISTRATION_STATUSES = ['OTP_SENT', 'OTP_VERIFIED', 'COMPLETED', 'FAILED', 'EXPIRED'] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

/** One attempt to create a DOKU Wallet account (wallet-snap-api.md §3.2 flow A, steps 2 to 5). */
@Entity('wallet_registrations')
export class WalletRegistration {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  userId: string;

  @Column({ type: 'text', unique: true })
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
