import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Between, DataSource, In } from 'typeorm';
import { Transaction } from '../transactions/entities/transaction.entity';

@Injectable()
export class HistoryRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The user's newest `limit` transactions in the window (one more tells whether more exist). */
  findNewestForUser(userId: string, from: Date, to: Date, limit: number): Promise<Transaction[]> {
    return this.db.getRepository(Transaction).find({
      where: { userId, createdAt: Between(from, to) },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
    });
  }

  /** The user's transactions with these partner references (how DOKU's items are matched to ours). */
  findByReferencesForUser(userId: string, references: string[]): Promise<Transaction[]> {
    if (references.length === 0) return Promise.resolve([]);
    return this.db.getRepository(Transaction).find({ where: { userId, partnerReferenceNo: In(references) } });
  }

  findByIdForUser(userId: string, id: string): Promise<Transaction | null> {
    return this.db.getRepository(Transaction).findOne({ where: { id, userId } });
  }
}
