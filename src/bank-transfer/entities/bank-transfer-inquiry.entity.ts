import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Money } from '../../common/money/money';
import { moneyTransformer } from '../../common/money/money.transformer';

/**
 * A Transfer Bank Account Inquiry (wallet-snap-api.md §3.10) the user has seen and may confirm.
 * Kept server-side so the confirm step sends exactly the beneficiary the user was shown: the
 * client only sends the inquiry id back. The full account number is sealed (SecretBox, bound to
 * this user) because it is needed again for the payment call; everything shown is masked.
 */
@Entity('bank_transfer_inquiries')
export class BankTransferInquiry {
  @PrimaryGeneratedColumn('uuid')
  id: string;

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

  /** The inquiry's own partnerReferenceNo; the payment gets a new one (§3.11). */
  @Column({ type: 'text' })
  partnerReferenceNo: string;

  /** DOKU's inquiry referenceNo, passed to the payment in additionalInfo.referenceNo (§3.11). */
  @Column({ type: 'text', nullable: true })
  dokuReferenceNo: string | null;

  @Column({ type: 'text', nullable: true })
  sessionId: string | null;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  /** The transfer made from it; cleared again if that transfer failed, so it can be retried. */
  @Column({ type: 'uuid', nullable: true })
  transactionId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
