import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { TransactionStatus } from '../transaction-state';

/** Every state change of a transaction, with its time and cause: the audit trail. */
@Entity('transaction_events')
export class TransactionEvent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  transactionId: string;

  @Column({ type: 'text', nullable: true })
  fromStatus: TransactionStatus | null;

  @Column({ type: 'text' })
  toStatus: TransactionStatus;

  /** What caused it: `created`, `doku-response`, `status-query`, `notification`, `refund`, `cancel`, … */
  @Column({ type: 'text' })
  cause: string;

  @Column({ type: 'jsonb' })
  details: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
