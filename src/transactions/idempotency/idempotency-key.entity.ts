import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Transaction } from '../entities/transaction.entity';

/**
 * One Idempotency-Key of one caller. The key row is written in the same commit as the PENDING intent
 * and completed in the same commit as the result, so a key never points at a half-done operation.
 */
@Entity('idempotency_keys')
// status is checked by its column's domain (idempotency_key_status: migration CheckedByDomain).
@Index('idempotency_keys_scope_key_key', ['scope', 'key'], { unique: true })
// The reconciler's search for requests abandoned between their two commits.
@Index('idempotency_keys_in_progress_idx', ['createdAt'], { where: `status = 'IN_PROGRESS'` })
export class IdempotencyKey {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'idempotency_keys_pkey' })
  id: string;

  /** The caller: `user:<id>` or `service:<clientId>`. Keys of different callers never collide. */
  @Column({ type: 'text' })
  scope: string;

  @Column({ type: 'text' })
  key: string;

  /** SHA-256 of the method, route and canonical body: the same key with another body is refused. */
  @Column({ type: 'text' })
  fingerprint: string;

  @Column({ type: 'text' })
  status: 'IN_PROGRESS' | 'COMPLETED';

  @Column({ type: 'integer', nullable: true })
  responseStatus: number | null;

  @Column({ type: 'jsonb', nullable: true })
  responseBody: unknown;

  /** Cleared if the transaction is deleted. */
  @ForeignKey(() => Transaction, { name: 'idempotency_keys_transaction_id_fkey', onDelete: 'SET NULL' })
  @Column({ type: 'uuid', nullable: true })
  transactionId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  completedAt: Date | null;
}
