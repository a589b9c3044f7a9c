import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity';

export type ErasureStatus = 'AWAITING_UNBINDING_OTP' | 'COMPLETED';
export type ErasureRequesterKind = 'user' | 'admin';

/**
 * One erasure asked for (docs/privacy.md#erasure): whose, who asked and when, where it stands, and
 * what was done to each table (counts only; the record holds no personal data).
 */
@Entity('data_subject_erasures')
@Check('data_subject_erasures_requested_by_kind_check', `requested_by_kind IN ('user','admin')`)
@Check('data_subject_erasures_status_check', `status IN ('AWAITING_UNBINDING_OTP','COMPLETED')`)
@Check('data_subject_erasures_completed_check', `(status = 'COMPLETED') = (completed_at IS NOT NULL)`)
@Index('data_subject_erasures_user_id_idx', ['userId', 'requestedAt'])
@Index('data_subject_erasures_one_completed', ['userId'], { unique: true, where: `status = 'COMPLETED'` })
export class DataSubjectErasure {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'data_subject_erasures_pkey' })
  id: string;

  @Column({ type: 'uuid' })
  @ForeignKey(() => User, { name: 'data_subject_erasures_user_id_fkey', onDelete: 'RESTRICT' })
  userId: string;

  @Column({ type: 'text' })
  requestedByKind: ErasureRequesterKind;

  /** The user themselves, or the back-office member who acted on a support ticket. */
  @Column({ type: 'uuid' })
  requestedBy: string;

  /** The support ticket's reference (letters, digits and `._:-` only, never free text). */
  @Column({ type: 'text', nullable: true })
  ticket: string | null;

  @Column({ type: 'text' })
  status: ErasureStatus;

  /** Rows changed per table. */
  @Column({ type: 'jsonb' })
  summary: Record<string, number>;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  requestedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  completedAt: Date | null;
}
