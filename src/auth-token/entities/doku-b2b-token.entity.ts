import { Check, Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * The fleet's one B2B token per client id ("latest token wins", docs/doku-integration.md#b2b-token).
 * `version` goes up with every token fetched, so an instance can invalidate exactly the token it saw
 * rejected.
 */
@Entity('doku_b2b_tokens')
@Check('doku_b2b_tokens_version_check', `version >= 1`)
@Check('doku_b2b_tokens_expiry_check', `expires_at > obtained_at`)
export class DokuB2bToken {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'doku_b2b_tokens_pkey' })
  clientId: string;

  /** SecretBox-sealed, never the plain token. */
  @Column({ type: 'text' })
  accessTokenCiphertext: string;

  @Column({ type: 'timestamptz' })
  obtainedAt: Date;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'integer' })
  version: number;

  /** Set when DOKU refused this version (401xx01/401xx03); the next reader fetches a new one. */
  @Column({ type: 'timestamptz', nullable: true })
  invalidatedAt: Date | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
