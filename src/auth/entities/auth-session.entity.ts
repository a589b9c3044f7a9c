import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity';

/**
 * One login of one user: the family of its rotated refresh tokens. Access tokens carry the session
 * id, so revoking the session (logout, or a reused refresh token) ends every token of the family.
 */
@Entity('auth_sessions')
export class AuthSession {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'auth_sessions_pkey' })
  id: string;

  /** Deleting a user deletes their sessions. */
  @Index('auth_sessions_user_id_idx')
  @ForeignKey(() => User, { name: 'auth_sessions_user_id_fkey', onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  userId: string;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ type: 'text', nullable: true })
  revokedReason: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
