import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { AuthSession } from './auth-session.entity';

/** A refresh token, stored only as its SHA-256 hash. Used once: each use rotates it. */
@Entity('refresh_tokens')
export class RefreshToken {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'refresh_tokens_pkey' })
  id: string;

  /** Deleting a session deletes its tokens. */
  @Index('refresh_tokens_session_id_idx')
  @ForeignKey(() => AuthSession, { name: 'refresh_tokens_session_id_fkey', onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  sessionId: string;

  @Index('refresh_tokens_token_hash_key', { unique: true })
  @Column({ type: 'text' })
  tokenHash: string;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
