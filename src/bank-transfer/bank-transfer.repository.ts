import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { BankTransferInquiry } from './entities/bank-transfer-inquiry.entity';
import { isUuid } from '../common/http/id-params';

export type NewBankTransferInquiry = Omit<BankTransferInquiry, 'id' | 'createdAt' | 'transactionId'>;

@Injectable()
export class BankTransferRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  createInquiry(input: NewBankTransferInquiry): Promise<BankTransferInquiry> {
    const repo = this.db.getRepository(BankTransferInquiry);
    return repo.save(repo.create({ ...input, transactionId: null }));
  }

  /** The user's own inquiry, locked for the confirm step; another user's is absent. */
  findInquiryForUpdate(tx: EntityManager, id: string, userId: string): Promise<BankTransferInquiry | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return tx
      .getRepository(BankTransferInquiry)
      .createQueryBuilder('i')
      .setLock('pessimistic_write')
      .where('i.id = :id AND i.userId = :userId', { id, userId })
      .getOne();
  }

  /** The inquiry a transaction was confirmed from (to send that transaction again with the same fields). */
  findInquiryOfTransaction(transactionId: string): Promise<BankTransferInquiry | null> {
    return this.db.getRepository(BankTransferInquiry).findOneBy({ transactionId });
  }

  async attachTransaction(tx: EntityManager, inquiryId: string, transactionId: string): Promise<void> {
    await tx.getRepository(BankTransferInquiry).update({ id: inquiryId }, { transactionId });
  }

  /** After a transfer DOKU refused: the inquiry may be confirmed again (while it has not expired). */
  async releaseInquiry(tx: EntityManager, inquiryId: string, transactionId: string): Promise<void> {
    await tx.getRepository(BankTransferInquiry).update({ id: inquiryId, transactionId }, { transactionId: null });
  }

  /**
   * Up to `limit` inquiries whose account number is sealed under another key than `sealedPrefix`
   * (the current key's), locked until the transaction ends; rows another instance holds (a
   * confirm, another batch) are skipped. Erased inquiries hold no sealed value and are left alone.
   */
  findSealedUnderOtherKeys(
    tx: EntityManager,
    sealedPrefix: string,
    limit: number,
  ): Promise<Array<{ id: string; userId: string; partnerReferenceNo: string; accountNumberSealed: string }>> {
    return tx.query(
      `SELECT id, user_id AS "userId", partner_reference_no AS "partnerReferenceNo", account_number_sealed AS "accountNumberSealed"
         FROM bank_transfer_inquiries
        WHERE (account_number_sealed LIKE 'v1.%' OR account_number_sealed LIKE 'v2.%')
          AND left(account_number_sealed, length($1)) <> $1
        LIMIT $2
        FOR UPDATE SKIP LOCKED`,
      [sealedPrefix, limit],
    );
  }

  /** The same account number sealed again (under the current key). */
  async replaceSealed(tx: EntityManager, inquiryId: string, accountNumberSealed: string): Promise<void> {
    await tx.query(`UPDATE bank_transfer_inquiries SET account_number_sealed = $2 WHERE id = $1`, [inquiryId, accountNumberSealed]);
  }

  /** Sealed account numbers by the key that sealed them (the key id, or `v1` for the first format). */
  countSealedByKey(): Promise<Array<{ key: string; count: number }>> {
    return this.db.query(
      `SELECT CASE WHEN account_number_sealed LIKE 'v2.%' THEN split_part(account_number_sealed, '.', 2) ELSE 'v1' END AS key,
              count(*)::int AS count
         FROM bank_transfer_inquiries
        WHERE account_number_sealed LIKE 'v1.%' OR account_number_sealed LIKE 'v2.%'
        GROUP BY 1 ORDER BY 1`,
    );
  }
}
