import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DokuNotification } from './entities/doku-notification.entity';

export type NewNotification = Pick<
  DokuNotification,
  'dedupeKey' | 'partnerReferenceNo' | 'dokuReferenceNo' | 'latestTransactionStatus' | 'externalId' | 'signatureKind' | 'rawBody' | 'headers'
>;

@Injectable()
export class NotificationsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Stores a notification unless the same delivery is already stored; returns its id only when new. */
  async storeOnce(n: NewNotification): Promise<string | undefined> {
    const rows: { id: string }[] = await this.db.query(
      `INSERT INTO doku_notifications (dedupe_key, partner_reference_no, doku_reference_no, latest_transaction_status, external_id, signature_kind, raw_body, headers)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
      [n.dedupeKey, n.partnerReferenceNo, n.dokuReferenceNo, n.latestTransactionStatus, n.externalId, n.signatureKind, n.rawBody, JSON.stringify(n.headers)],
    );
    return rows[0]?.id;
  }

  async markProcessed(id: string, result: string): Promise<void> {
    await this.db.query(`UPDATE doku_notifications SET processed_at = now(), process_result = $2 WHERE id = $1`, [id, result]);
  }

  async storeToken(tokenHash: string, clientId: string, expiresAt: Date): Promise<void> {
    // Expired tokens are useless: dropping them here keeps the table at about one row per lifetime.
    await this.db.query(`DELETE FROM doku_notification_tokens WHERE expires_at < now() - interval '1 hour'`);
    await this.db.query(`INSERT INTO doku_notification_tokens (token_hash, client_id, expires_at) VALUES ($1, $2, $3)`, [tokenHash, clientId, expiresAt]);
  }

  /** When a live token expires; undefined when the token is unknown or expired. */
  async liveTokenExpiry(tokenHash: string): Promise<Date | undefined> {
    const rows: { expires_at: Date }[] = await this.db.query(`SELECT expires_at FROM doku_notification_tokens WHERE token_hash = $1 AND expires_at > now()`, [tokenHash]);
    return rows[0]?.expires_at;
  }
}
