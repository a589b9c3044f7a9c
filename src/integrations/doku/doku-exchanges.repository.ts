import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { DokuExchangeRecord } from './entities/doku-exchange-record.entity';

export type NewDokuExchangeRecord = Omit<DokuExchangeRecord, 'id' | 'createdAt'>;

@Injectable()
export class DokuExchangesRepository {
  constructor(@InjectRepository(DokuExchangeRecord) private readonly exchanges: Repository<DokuExchangeRecord>) {}

  /** One multi-row INSERT, in one implicit transaction: all rows or none. */
  async insertMany(rows: NewDokuExchangeRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.exchanges.createQueryBuilder().insert().into(DokuExchangeRecord).values(rows as QueryDeepPartialEntity<DokuExchangeRecord>[]).updateEntity(false).execute();
  }

  /** Every attempt made for one business reference, oldest first (support, reconciliation). */
  findByPartnerReference(partnerReference: string): Promise<DokuExchangeRecord[]> {
    return this.exchanges.find({ where: { partnerReference }, order: { startedAt: 'ASC', attempt: 'ASC' } });
  }
}
