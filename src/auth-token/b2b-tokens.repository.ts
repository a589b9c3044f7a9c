import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DokuB2bToken } from './entities/doku-b2b-token.entity';

export interface NewB2bTokenVersion {
  clientId: string;
  accessTokenCiphertext: string;
  obtainedAt: Date;
  expiresAt: Date;
  version: number;
}

@Injectable()
export class B2bTokensRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findByClientId(clientId: string, manager: EntityManager = this.db.manager): Promise<DokuB2bToken | null> {
    return manager.findOne(DokuB2bToken, { where: { clientId } });
  }

  /**
   * Serialises token fetching for one client id across every instance until the transaction ends.
   * An advisory lock rather than a row lock: on a cold start there is no row to lock yet.
   */
  async lockForRefresh(manager: EntityManager, clientId: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`doku_b2b_token:${clientId}`]);
  }

  async saveVersion(manager: EntityManager, token: NewB2bTokenVersion): Promise<void> {
    await manager.query(
      `INSERT INTO doku_b2b_tokens (client_id, access_token_ciphertext, obtained_at, expires_at, version, invalidated_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, NULL, now())
       ON CONFLICT (client_id) DO UPDATE SET
         access_token_ciphertext = EXCLUDED.access_token_ciphertext,
         obtained_at = EXCLUDED.obtained_at,
         expires_at = EXCLUDED.expires_at,
         version = EXCLUDED.version,
         invalidated_at = NULL,
         updated_at = now()`,
      [token.clientId, token.accessTokenCiphertext, token.obtainedAt, token.expiresAt, token.version],
    );
  }

  /** Marks `version` as refused by DOKU; a no-op when a newer version has replaced it meanwhile. */
  async markInvalidated(clientId: string, version: number): Promise<boolean> {
    const result = await this.db.query<[unknown[], number]>(
      `UPDATE doku_b2b_tokens SET invalidated_at = now(), updated_at = now()
        WHERE client_id = $1 AND version = $2 AND invalidated_at IS NULL`,
      [clientId, version],
    );
    return result[1] === 1;
  }
}
