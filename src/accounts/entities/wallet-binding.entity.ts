import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const BINDING_STATUSES = ['PENDING', 'ACTIVE', 'UNBINDING', 'UNBOUND', 'FAILED'] as const;
export type BindingStatus = (typeof BINDING_STATUSES)[number];

/** One binding of a DOKU Wallet to the partner (§3.6), from request to unbinding (§3.8). */
@Entity('wallet_bindings')
export class WalletBinding {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  userId: string;

  @Column({ type: 'text', unique: true })
  partnerReferenceNo: string;

  @Column({ type: 'text', nullable: true })
  dokuReferenceNo: string | null;

  @Column({ type: 'text' })
  dokuAccountId: string;

  @Column({ type: 'text', nullable: true })
  linkId: string | null;

  @Column({ type: 'text' })
  status: BindingStatus;

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
