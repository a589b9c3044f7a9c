import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { TopUpInquiry } from './entities/top-up-inquiry.entity';
import { isUuid } from '../common/http/id-params';

export type NewTopUpInquiry = Omit<TopUpInquiry, 'id' | 'createdAt' | 'transactionId'>;

@Injectable()
export class TopUpRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  createInquiry(input: NewTopUpInquiry): Promise<TopUpInquiry> {
    const repo = this.db.getRepository(TopUpInquiry);
    return repo.save(repo.create({ ...input, transactionId: null }));
  }

  /** An inquiry for this user made by this caller, locked; anyone else's is absent. */
  findInquiryForUpdate(tx: EntityManager, id: string, userId: string, initiatorId: string): Promise<TopUpInquiry | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return tx
      .getRepository(TopUpInquiry)
      .createQueryBuilder('i')
      .setLock('pessimistic_write')
      .where('i.id = :id AND i.userId = :userId AND i.initiatorId = :initiatorId', { id, userId, initiatorId })
      .getOne();
  }

  /** An inquiry for this user made by this caller that can still be confirmed (not used, not expired); not locked. */
  findOpenInquiry(id: string, userId: string, initiatorId: string): Promise<TopUpInquiry | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.db
      .getRepository(TopUpInquiry)
      .createQueryBuilder('i')
      .where('i.id = :id AND i.userId = :userId AND i.initiatorId = :initiatorId', { id, userId, initiatorId })
      .andWhere('i.transactionId IS NULL AND i.expiresAt > now()')
      .getOne();
  }

  /** The inquiry a transaction was confirmed from (to send that transaction again with the same fields). */
  findInquiryOfTransaction(transactionId: string): Promise<TopUpInquiry | null> {
    return this.db.getRepository(TopUpInquiry).findOneBy({ transactionId });
  }

  async attachTransaction(tx: EntityManager, inquiryId: string, transactionId: string): Promise<void> {
    await tx.getRepository(TopUpInquiry).update({ id: inquiryId }, { transactionId });
  }

  async releaseInquiry(tx: EntityManager, inquiryId: string, transactionId: string): Promise<void> {
    await tx.getRepository(TopUpInquiry).update({ id: inquiryId, transactionId }, { transactionId: null });
  }
}
