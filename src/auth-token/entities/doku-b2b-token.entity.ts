import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * The fleet's one B2B token per client id (wallet-snap-api.md §2.3 "latest token wins"). `version`
 * goes up with every token fetched, so an instance can invalidate exactly the token it saw rejected.
 */
@Entity('doku_b2b_tokens')
export class DokuB2bToken {
  @PrimaryColumn({ type: 'text' })
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

  /** Set when DOKU refused this version (401xx01/401xx03, §5.7); the next reader fetches a new one. */
  @Column({ type: 'timestamptz', nullable: true })
  invalidatedAt: Date | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
