import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A user's B2B2C (customer) tokens for their bound DOKU account (§2.4, §5.9), sealed at rest. */
@Entity('doku_customer_tokens')
export class DokuCustomerToken {
  @PrimaryColumn({ type: 'uuid' })
  userId: string;

  /** DOKU accountId, used to get a fresh authCode through Query Account Binding (§3.7). */
  @Index()
  @Column({ type: 'text' })
  accountId: string;

  @Column({ type: 'text', nullable: true })
  accessTokenCiphertext: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  accessExpiresAt: Date | null;

  @Column({ type: 'text', nullable: true })
  refreshTokenCiphertext: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  refreshExpiresAt: Date | null;

  /** Every way back failed: the user has to go through Account Binding again (§3.2 A). */
  @Column({ type: 'boolean', default: false })
  needsRebinding: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
