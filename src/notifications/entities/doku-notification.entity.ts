import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type NotificationSignatureKind = 'symmetric' | 'asymmetric';

/**
 * One notification DOKU pushed to us (§2.8), stored verified and before we acknowledge it, with the
 * exact bytes received. Authorization and signature headers are not kept.
 */
@Entity('doku_notifications')
export class DokuNotification {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** originalPartnerReferenceNo | latestTransactionStatus | X-EXTERNAL-ID: a replay of the same delivery is a no-op. */
  @Column({ type: 'text' })
  dedupeKey: string;

  @Column({ type: 'text', nullable: true })
  partnerReferenceNo: string | null;

  @Column({ type: 'text', nullable: true })
  dokuReferenceNo: string | null;

  @Column({ type: 'text', nullable: true })
  latestTransactionStatus: string | null;

  @Column({ type: 'text', nullable: true })
  externalId: string | null;

  @Column({ type: 'text' })
  signatureKind: NotificationSignatureKind;

  @Column({ type: 'text' })
  rawBody: string;

  @Column({ type: 'jsonb' })
  headers: Record<string, string>;

  @CreateDateColumn({ type: 'timestamptz' })
  receivedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  processedAt: Date | null;

  /** Until when an instance holds this notification for processing; null when nobody does. */
  @Column({ type: 'timestamptz', nullable: true })
  claimedUntil: Date | null;

  /** Processing attempts that failed. */
  @Column({ type: 'integer', default: 0 })
  processAttempts: number;

  /** What processing concluded, e.g. `applied: SUCCESS` or `unknown reference`. */
  @Column({ type: 'text', nullable: true })
  processResult: string | null;
}
