import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity';

/**
 * NONE             no DOKU Wallet yet
 * REGISTERING      account creation started (OTP sent, PIN not yet created)
 * REGISTERED       the DOKU account exists (accountId known) but is not bound to us yet
 * BOUND            bound: we hold a customer token and can act for the user
 * NEEDS_REBINDING  the customer token can no longer be renewed; the user must bind again
 */
export const WALLET_STATUSES = ['NONE', 'REGISTERING', 'REGISTERED', 'BOUND', 'NEEDS_REBINDING'] as const;
export type WalletStatus = (typeof WALLET_STATUSES)[number];

/** The DOKU Wallet of one partner user: one row per user. */
@Entity('wallets')
@Check('wallets_status_check', `status IN ('NONE','REGISTERING','REGISTERED','BOUND','NEEDS_REBINDING')`)
export class Wallet {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'wallets_pkey' })
  id: string;

  /** A user with a wallet row cannot be deleted. */
  @Index('wallets_user_id_key', { unique: true })
  @ForeignKey(() => User, { name: 'wallets_user_id_fkey', onDelete: 'RESTRICT' })
  @Column({ type: 'uuid' })
  userId: string;

  @Column({ type: 'text' })
  status: WalletStatus;

  /** DOKU's 10-digit account id; shown to clients masked. One bound wallet per DOKU account. */
  @Index('wallets_doku_account_id_key', { unique: true, where: `status = 'BOUND'` })
  @Column({ type: 'text', nullable: true })
  dokuAccountId: string | null;

  /** The wallet's phone number in 62… form (SNAP `customerNumber`). */
  @Column({ type: 'text', nullable: true })
  phone: string | null;

  @Column({ type: 'text', nullable: true })
  linkId: string | null;

  @Column({ type: 'text', nullable: true })
  publicUserId: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  boundAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
