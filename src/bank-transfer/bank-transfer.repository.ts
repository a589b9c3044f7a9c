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
}
