import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Money } from '../../common/money/money';
import { moneyTransformer } from '../../common/money/money.transformer';
import { TransactionStatus, TransactionType } from '../transaction-state';

/** Who asked for a money movement: a user, a back-office member, or an internal service. */
export type InitiatorKind = 'user' | 'service';

/**
 * One money movement of one partner user, with the identifiers it sends to DOKU. The row is written
 * PENDING, with its partner reference, before DOKU is called (RELIABILITY.md "persist before you call");
 * a retry of the same intent reuses the same reference.
 */
@Entity('transactions')
export class Transaction {
  @PrimaryGeneratedColumn('uuid')
  id: string;

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

  /** The business reference DOKU deduplicates on (partnerReferenceNo, or partnerRefundNo for refunds). */
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

  /** For refunds and cancels: the purchase they apply to. */
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

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
