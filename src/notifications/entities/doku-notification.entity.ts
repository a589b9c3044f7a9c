import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** SNAP's two signatures, or the DOKU e-Wallet checkout's own (non-SNAP HMAC-SHA256, docs/channels.md#doku-e-wallet-checkout). */
export type NotificationSignatureKind = 'symmetric' | 'asymmetric' | 'checkout';

/**
 * One notification DOKU pushed to us (docs/doku-integration.md#notifications), stored verified and
 * before we acknowledge it, with the exact bytes received. Authorization and signature headers are
 * not kept.
 */
@Entity('doku_notifications')
@Check('doku_notifications_signature_kind_check', `signature_kind IN ('symmetric','asymmetric','checkout')`)
// The sweep's search for notifications not processed yet.
@Index('doku_notifications_unprocessed_idx', ['receivedAt'], { where: `processed_at IS NULL` })
export class DokuNotification {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'doku_notifications_pkey' })
  id: string;

  /** originalPartnerReferenceNo | latestTransactionStatus | X-EXTERNAL-ID: a replay of the same delivery is a no-op. */
  @Index('doku_notifications_dedupe_key_key', { unique: true })
  @Column({ type: 'text' })
  dedupeKey: string;

  @Index('doku_notifications_partner_reference_no_idx')
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
