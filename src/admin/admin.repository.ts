import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, FindOptionsWhere, In, IsNull, Not } from 'typeorm';
import { Wallet } from '../accounts/entities/wallet.entity';
import { DokuExchangeRecord } from '../integrations/doku/snap/entities/doku-exchange-record.entity';
import { Transaction } from '../transactions/entities/transaction.entity';
import { TransactionStatus, TransactionType } from '../transactions/transaction-state';
import { User } from '../users/entities/user.entity';
import { isUuid } from '../common/http/id-params';

export interface Paging {
  page: number;
  pageSize: number;
}

/** Back-office reads across every user (the only place that does not scope queries to one user). */
@Injectable()
export class AdminRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Users whose email contains `query` or whose phone starts with it, newest first. */
  async searchUsers(query: string | undefined, { page, pageSize }: Paging): Promise<{ users: User[]; total: number }> {
    const qb = this.db.getRepository(User).createQueryBuilder('u');
    const text = query?.trim();
    if (text) {
      const escaped = text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
      qb.where('(u.email LIKE :contains OR u.phone LIKE :prefix)', { contains: `%${escaped}%`, prefix: `${escaped}%` });
    }
    const [users, total] = await qb
      .orderBy('u.createdAt', 'DESC')
      .addOrderBy('u.id', 'DESC')
      .skip((page - 1) * pageSize)
      .take(pageSize)
      .getManyAndCount();
    return { users, total };
  }

  findUser(id: string): Promise<User | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.db.getRepository(User).findOne({ where: { id } });
  }

  async findWallets(userIds: string[]): Promise<Map<string, Wallet>> {
    if (userIds.length === 0) return new Map();
    const wallets = await this.db.getRepository(Wallet).createQueryBuilder('w').where('w.userId IN (:...userIds)', { userIds }).getMany();
    return new Map(wallets.map((w) => [w.userId, w]));
  }

  async listTransactions(
    filter: { status?: TransactionStatus; type?: TransactionType; userId?: string; attention?: 'true' | 'false' },
    { page, pageSize }: Paging,
  ): Promise<{ transactions: Transaction[]; total: number }> {
    const where: FindOptionsWhere<Transaction> = {};
    if (filter.status) where.status = filter.status;
    if (filter.type) where.type = filter.type;
    if (filter.userId) where.userId = filter.userId;
    // Waiting for the back office: flagged and still unresolved.
    if (filter.attention === 'true')
      Object.assign(where, { attentionRequiredAt: Not(IsNull()), status: filter.status ?? In(['PENDING', 'UNKNOWN']) });
    if (filter.attention === 'false') where.attentionRequiredAt = IsNull();
    const [transactions, total] = await this.db.getRepository(Transaction).findAndCount({
      where,
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { transactions, total };
  }

  findTransaction(id: string): Promise<Transaction | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.db.getRepository(Transaction).findOne({ where: { id } });
  }

  async listExchanges(
    filter: { partnerReference?: string; from?: Date; to?: Date },
    { page, pageSize }: Paging,
  ): Promise<{ exchanges: DokuExchangeRecord[]; total: number }> {
    const qb = this.db.getRepository(DokuExchangeRecord).createQueryBuilder('e').where('TRUE');
    if (filter.partnerReference) qb.andWhere('e.partnerReference = :ref', { ref: filter.partnerReference });
    if (filter.from) qb.andWhere('e.startedAt >= :from', { from: filter.from });
    if (filter.to) qb.andWhere('e.startedAt < :to', { to: filter.to });
    const [exchanges, total] = await qb
      .orderBy('e.startedAt', 'DESC')
      .addOrderBy('e.attempt', 'DESC')
      .skip((page - 1) * pageSize)
      .take(pageSize)
      .getManyAndCount();
    return { exchanges, total };
  }
}
