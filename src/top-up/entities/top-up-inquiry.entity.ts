import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Money } from '../../common/money/money';
import { moneyTransformer } from '../../common/money/money.transformer';
import { InitiatorKind } from '../../transactions/entities/transaction.entity';

/**
 * An Account Inquiry Top Up (wallet-snap-api.md §3.12) for one user's wallet, made by a service or a
 * back-office member, that the same caller may confirm with Account Top Up (§3.13).
 */
@Entity('top_up_inquiries')
export class TopUpInquiry {
  @PrimaryGeneratedColumn('uuid')
  id: string;

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

  @Column({ type: 'text' })
  partnerReferenceNo: string;

  @Column({ type: 'text', nullable: true })
  dokuReferenceNo: string | null;

  @Column({ type: 'text', nullable: true })
  sessionId: string | null;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'uuid', nullable: true })
  transactionId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
