import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity';

export const BINDING_STATUSES = ['PENDING', 'ACTIVE', 'UNBINDING', 'UNBOUND', 'FAILED', 'CANCELLED'] as const;
export type BindingStatus = (typeof BINDING_STATUSES)[number];

/**
 * Why a binding ended without linking (docs/customer-pages.md#binding-and-registration-states):
 * DOKU declined it (e.g. too many wrong PINs), DOKU's answer could not be used, the DOKU account is
 * bound to another user of ours, or a newer binding replaced it. A cancel is its own status.
 */
export const BINDING_FAILURE_REASONS = ['DOKU_DECLINED', 'DOKU_ERROR', 'ACCOUNT_IN_USE', 'SUPERSEDED', 'CUSTOMER_CANCELLED'] as const;
export type BindingFailureReason = (typeof BINDING_FAILURE_REASONS)[number];

/** One binding of a DOKU Wallet to the partner, from request to unbinding (docs/doku-integration.md#binding). */
@Entity('wallet_bindings')
@Check('wallet_bindings_status_check', `status IN ('PENDING','ACTIVE','UNBINDING','UNBOUND','FAILED','CANCELLED')`)
export class WalletBinding {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'wallet_bindings_pkey' })
  id: string;

  /** At most one live (ACTIVE or UNBINDING) binding per user. */
  @Index('wallet_bindings_one_live_per_user', { unique: true, where: `status IN ('ACTIVE','UNBINDING')` })
  @ForeignKey(() => User, { name: 'wallet_bindings_user_id_fkey', onDelete: 'RESTRICT' })
  @Column({ type: 'uuid' })
  userId: string;

  @Index('wallet_bindings_partner_reference_no_key', { unique: true })
  @Column({ type: 'text' })
  partnerReferenceNo: string;

  @Column({ type: 'text', nullable: true })
  dokuReferenceNo: string | null;

  @Column({ type: 'text' })
  dokuAccountId: string;

  @Column({ type: 'text', nullable: true })
  linkId: string | null;

  @Column({ type: 'text' })
  status: BindingStatus;

  /** Why a FAILED binding failed (CUSTOMER_CANCELLED for a CANCELLED one); null otherwise. */
  @Column({ type: 'text', nullable: true })
  failureReason: BindingFailureReason | null;

  /** The unbinding request's reference, while an unbinding waits for its OTP. */
  @Column({ type: 'text', nullable: true })
  unbindPartnerReferenceNo: string | null;

  @Column({ type: 'text', nullable: true })
  unbindDokuReferenceNo: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  boundAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  unboundAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
