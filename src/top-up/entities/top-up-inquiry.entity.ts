import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Money } from '../../common/money/money';
import { moneyTransformer } from '../../common/money/money.transformer';
import { InitiatorKind, Transaction } from '../../transactions/entities/transaction.entity';
import { User } from '../../users/entities/user.entity';

/**
 * An Account Inquiry Top Up (docs/doku-integration.md#top-up) for one user's wallet, made by a
 * service or a back-office member, that the same caller may confirm with Account Top Up.
 */
@Entity('top_up_inquiries')
@Check('top_up_inquiries_initiator_kind_check', `initiator_kind IN ('user','service')`)
@Check('top_up_inquiries_amount_check', `amount > 0`)
// In the database created_at is descending (newest first); TypeORM cannot declare an index column's order.
@Index('top_up_inquiries_user_id_idx', ['userId', 'createdAt'])
export class TopUpInquiry {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'top_up_inquiries_pkey' })
  id: string;

  @ForeignKey(() => User, { name: 'top_up_inquiries_user_id_fkey', onDelete: 'RESTRICT' })
  @Column({ type: 'uuid' })
  userId: string;

  @Column({ type: 'text' })
  initiatorKind: InitiatorKind;

  @Column({ type: 'text' })
  initiatorId: string;

  @Column({ type: 'bigint', transformer: moneyTransformer })
  amount: Money;

  @Column({ type: 'bigint', transformer: moneyTransformer, nullable: true })
  feeAmount: Money | null;

  /** The wallet holder's name as DOKU knows it. */
  @Column({ type: 'text' })
  customerName: string;

  @Column({ type: 'text' })
  customerNumberMasked: string;

  @Index('top_up_inquiries_partner_reference_no_key', { unique: true })
  @Column({ type: 'text' })
  partnerReferenceNo: string;

  @Column({ type: 'text', nullable: true })
  dokuReferenceNo: string | null;

  @Column({ type: 'text', nullable: true })
  sessionId: string | null;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Index('top_up_inquiries_transaction_id_key', { unique: true, where: `transaction_id IS NOT NULL` })
  @ForeignKey(() => Transaction, { name: 'top_up_inquiries_transaction_id_fkey', onDelete: 'RESTRICT' })
  @Column({ type: 'uuid', nullable: true })
  transactionId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
