import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity';

/** A user's B2B2C (customer) tokens for their bound DOKU account (docs/doku-integration.md#customer-token), sealed at rest. */
@Entity('doku_customer_tokens')
// An access token is stored with its expiry or not at all; a refresh expiry only with a refresh token.
@Check('doku_customer_tokens_access_pair_check', `(access_token_ciphertext IS NULL) = (access_expires_at IS NULL)`)
@Check('doku_customer_tokens_refresh_expiry_check', `refresh_expires_at IS NULL OR refresh_token_ciphertext IS NOT NULL`)
export class DokuCustomerToken {
  /** Deleting a user deletes their tokens. */
  @ForeignKey(() => User, { name: 'doku_customer_tokens_user_id_fkey', onDelete: 'CASCADE' })
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'doku_customer_tokens_pkey' })
  userId: string;

  /** DOKU accountId, used to get a fresh authCode through Query Account Binding. */
  @Index('doku_customer_tokens_account_id_idx')
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

  /** Every way back failed: the user has to go through Account Binding again. */
  @Column({ type: 'boolean', default: false })
  needsRebinding: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
