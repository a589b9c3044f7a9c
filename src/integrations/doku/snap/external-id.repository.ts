import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface ExternalIdBlock {
  /** First value of the block; the block is `[first, first + size)`. */
  first: bigint;
  size: number;
}

@Injectable()
export class ExternalIdRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Reserves the next block of the never-resetting `doku_external_id_seq`. The block size is the
   * sequence's own INCREMENT BY, read in the same statement, so blocks of two instances can never
   * overlap even if the increment is changed by a later migration.
   */
  async reserveBlock(): Promise<ExternalIdBlock> {
    const rows = await this.db.query<{ first: string; size: string }[]>(
      `SELECT nextval('doku_external_id_seq')::text AS first,
              (SELECT increment_by FROM pg_sequences
                WHERE schemaname = current_schema() AND sequencename = 'doku_external_id_seq')::text AS size`,
    );
    const size = Number(rows[0].size);
    if (!Number.isSafeInteger(size) || size < 1) throw new Error('doku_external_id_seq must increment by a positive step');
    return { first: BigInt(rows[0].first), size };
  }
}
