import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Money } from '../../common/money/money';
import { moneyTransformer } from '../../common/money/money.transformer';
import { User } from '../../users/entities/user.entity';
import { PaymentMethod } from '../payment-method';
import { TransactionStatus, TransactionType } from '../transaction-state';

/** Who asked for a money movement: a user, a back-office member, or an internal service. */
export type InitiatorKind = 'user' | 'service';

/**
 * One money movement of one partner user, with the identifiers it sends to DOKU. The row is written
 * PENDING, with its partner reference, before DOKU is called (docs/reliability.md#principles);
 * a retry of the same intent reuses the same reference.
 */
@Entity('transactions')
// type, status, currency, initiator_kind and payment_method are checked by their columns' domains
// (transaction_type, transaction_status, currency_code, initiator_kind, payment_method: migration
// CheckedByDomain), which TypeORM cannot declare.
@Check('transactions_amount_check', `amount > 0`)
// Refunds, successful and in flight, never exceed what was paid.
@Check(
  'transactions_refunds_check',
  `refunded_amount >= 0 AND refund_reserved_amount >= 0 AND refunded_amount + refund_reserved_amount <= amount`,
)
// In the database created_at is descending (newest first); TypeORM cannot declare an index column's order.
@Index('transactions_user_id_created_at_idx', ['userId', 'createdAt'])
// What the reconciler still has to settle.
@Index('transactions_unresolved_idx', ['nextCheckAt'], { where: `status IN ('PENDING','UNKNOWN')` })
// A purchase's refunds and cancels still waiting for DOKU, found by the purchase (migration WaitingChildrenIndex).
@Index('transactions_waiting_children_idx', ['parentId'], { where: `status IN ('PENDING','UNKNOWN') AND parent_id IS NOT NULL` })
// Settled purchases DOKU contradicts, for the back office.
@Index('transactions_doku_disagrees_idx', ['dokuDisagreesAt'], { where: `doku_disagrees_at IS NOT NULL` })
export class Transaction {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'transactions_pkey' })
  id: string;

  /** A user with transactions cannot be deleted. */
  @ForeignKey(() => User, { name: 'transactions_user_id_fkey', onDelete: 'RESTRICT' })
  @Column({ type: 'uuid' })
  userId: string;

  @Column({ type: 'text' })
  type: TransactionType;

  @Column({ type: 'text' })
  status: TransactionStatus;

  @Column({ type: 'bigint', transformer: moneyTransformer })
  amount: Money;

  /** Sum of successful refunds (purchases only); never more than `amount`. */
  @Column({ type: 'bigint', transformer: moneyTransformer, default: 0 })
  refundedAmount: Money;

  /** Refunds requested and not yet known to have failed: reserved against the refundable amount. */
  @Column({ type: 'bigint', transformer: moneyTransformer, default: 0 })
  refundReservedAmount: Money;

  @Column({ type: 'text', default: 'IDR' })
  currency: string;

  /** The channel the purchase went through (docs/channels.md); refunds and cancels carry their purchase's. */
  @Column({ type: 'text', default: 'DOKU_WALLET' })
  paymentMethod: PaymentMethod;

  /** The business reference DOKU deduplicates on (partnerReferenceNo, or partnerRefundNo for refunds). */
  @Index('transactions_partner_reference_no_key', { unique: true })
  @Column({ type: 'text' })
  partnerReferenceNo: string;

  /** DOKU's own reference (referenceNo / refundNo), once known. */
  @Column({ type: 'text', nullable: true })
  dokuReferenceNo: string | null;

  /**
   * X-EXTERNAL-ID of the request DOKU created this operation from: chosen in commit 1 for the
   * first attempt, replaced by the attempt DOKU answered (a token renewal or a later send uses a
   * new one). Sent as `originalExternalId` in refunds, cancels and status queries.
   */
  @Column({ type: 'text', nullable: true })
  dokuExternalId: string | null;

  /** For refunds and cancels: the purchase they apply to, which then cannot be deleted. */
  @Index('transactions_parent_id_idx', { where: `parent_id IS NOT NULL` })
  @ForeignKey(() => Transaction, { name: 'transactions_parent_id_fkey', onDelete: 'RESTRICT' })
  @Column({ type: 'uuid', nullable: true })
  parentId: string | null;

  /** The caller's own reference, e.g. the order id of the partner's order service. */
  @Column({ type: 'text', nullable: true })
  merchantOrderRef: string | null;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  /** Operation-specific details (items, beneficiary, redirect URL); never secrets. */
  @Column({ type: 'jsonb' })
  details: Record<string, unknown>;

  @Column({ type: 'text' })
  initiatorKind: InitiatorKind;

  @Column({ type: 'text' })
  initiatorId: string;

  /** Our error code when FAILED (e.g. DOKU.INSUFFICIENT_BALANCE) and DOKU's raw responseCode. */
  @Column({ type: 'text', nullable: true })
  failureCode: string | null;

  @Column({ type: 'text', nullable: true })
  dokuResponseCode: string | null;

  /** When the reconciler should next ask DOKU about an unresolved transaction, and how often it has. */
  @Column({ type: 'timestamptz', nullable: true })
  nextCheckAt: Date | null;

  @Column({ type: 'integer', default: 0 })
  checkAttempts: number;

  /** Set when every scheduled status check passed without an answer: the back office decides. */
  @Column({ type: 'timestamptz', nullable: true })
  attentionRequiredAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  finalizedAt: Date | null;

  /**
   * When DOKU's answer first contradicted this settled purchase (we failed or canceled it and DOKU says
   * it is paid, or the reverse), and what DOKU said last. The state machine never moves it back: the
   * back office decides (docs/money-rules.md#when-doku-disagrees-with-a-settled-purchase).
   */
  @Column({ type: 'timestamptz', nullable: true })
  dokuDisagreesAt: Date | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  dokuReportedStatus: string | null;

  /** Finance dealt with the disagreement: when, who (a staff user id) and what was done. */
  @Column({ type: 'timestamptz', nullable: true })
  dokuDisagreementHandledAt: Date | null;

  @Column({ type: 'uuid', nullable: true })
  dokuDisagreementHandledBy: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  dokuDisagreementNote: string | null;

  /**
   * When DOKU was last asked about this transaction's status (purchases: Query Purchase). A poll
   * asks only when this is older than the poll interval, claimed in one UPDATE.
   */
  @Column({ type: 'timestamptz', nullable: true })
  statusAskedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
