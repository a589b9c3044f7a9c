import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A token we issued to DOKU for its notifications (the token handshake); only its SHA-256 is stored. */
@Entity('doku_notification_tokens')
export class DokuNotificationToken {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'doku_notification_tokens_pkey' })
  id: string;

  @Index('doku_notification_tokens_token_hash_key', { unique: true })
  @Column({ type: 'text' })
  tokenHash: string;

  @Column({ type: 'text' })
  clientId: string;

  @Index('doku_notification_tokens_expires_at_idx')
  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
