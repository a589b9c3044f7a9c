import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Money } from '../../common/money/money';
import { moneyTransformer } from '../../common/money/money.transformer';
import { Transaction } from '../../transactions/entities/transaction.entity';
import { User } from '../../users/entities/user.entity';

/**
 * A Transfer Bank Account Inquiry (docs/doku-integration.md#bank-transfer) the user has seen and may confirm.
 * Kept server-side so the confirm step sends exactly the beneficiary the user was shown: the
 * client only sends the inquiry id back. The full account number is sealed (SecretBox, bound to
 * this user) because it is needed again for the payment call; everything shown is masked.
 */
@Entity('bank_transfer_inquiries')
@Check('bank_transfer_inquiries_amount_check', `amount > 0`)
// In the database created_at is descending (newest first); TypeORM cannot declare an index column's order.
@Index('bank_transfer_inquiries_user_id_idx', ['userId', 'createdAt'])
export class BankTransferInquiry {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'bank_transfer_inquiries_pkey' })
  id: string;

  @ForeignKey(() => User, { name: 'bank_transfer_inquiries_user_id_fkey', onDelete: 'RESTRICT' })
  @Column({ type: 'uuid' })
  userId: string;

  @Column({ type: 'text' })
  bankCode: string;

  @Column({ type: 'text', nullable: true })
  bankName: string | null;

  @Column({ type: 'text' })
  accountNumberSealed: string;

  /** All but the last 4 digits masked. */
  @Column({ type: 'text' })
  accountNumberMasked: string;

  @Column({ type: 'text' })
  beneficiaryName: string;

  @Column({ type: 'text', nullable: true })
  accountType: string | null;

  @Column({ type: 'bigint', transformer: moneyTransformer })
  amount: Money;

  /** The inquiry's own partnerReferenceNo; the payment gets a new one. */
  @Index('bank_transfer_inquiries_partner_reference_no_key', { unique: true })
  @Column({ type: 'text' })
  partnerReferenceNo: string;

  /** DOKU's inquiry referenceNo, passed to the payment in additionalInfo.referenceNo. */
  @Column({ type: 'text', nullable: true })
  dokuReferenceNo: string | null;

  @Column({ type: 'text', nullable: true })
  sessionId: string | null;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  /** The transfer made from it; cleared again if that transfer failed, so it can be retried. */
  @Index('bank_transfer_inquiries_transaction_id_key', { unique: true, where: `transaction_id IS NOT NULL` })
  @ForeignKey(() => Transaction, { name: 'bank_transfer_inquiries_transaction_id_fkey', onDelete: 'RESTRICT' })
  @Column({ type: 'uuid', nullable: true })
  transactionId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
