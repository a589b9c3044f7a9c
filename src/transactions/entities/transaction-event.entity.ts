import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TransactionStatus } from '../transaction-state';
import { Transaction } from './transaction.entity';

/** Every state change of a transaction, with its time and cause: the audit trail. */
@Entity('transaction_events')
@Index('transaction_events_transaction_id_idx', ['transactionId', 'createdAt'])
// cause is one of the closed set of src/transactions/transition-cause.ts, checked by its column's
// domain (transition_cause: migration CheckedByDomain) for rows written since the check was added
// (migration TransitionCauseCheck: NOT VALID keeps older events' sentences).
export class TransactionEvent {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'transaction_events_pkey' })
  id: string;

  /** Deleting a transaction deletes its events. */
  @ForeignKey(() => Transaction, { name: 'transaction_events_transaction_id_fkey', onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  transactionId: string;

  @Column({ type: 'text', nullable: true })
  fromStatus: TransactionStatus | null;

  @Column({ type: 'text' })
  toStatus: TransactionStatus;

  /** What caused it: one of `TRANSITION_CAUSES` (transition-cause.ts); events written before they were closed hold a sentence. */
  @Column({ type: 'text' })
  cause: string;

  @Column({ type: 'jsonb' })
  details: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
