import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DokuCustomerToken } from './entities/doku-customer-token.entity';

export interface SealedCustomerTokens {
  accessTokenCiphertext: string;
  accessExpiresAt: Date;
  refreshTokenCiphertext: string | null;
  refreshExpiresAt: Date | null;
}

@Injectable()
export class CustomerTokensRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findByUserId(userId: string, manager: EntityManager = this.db.manager): Promise<DokuCustomerToken | null> {
    return manager.findOne(DokuCustomerToken, { where: { userId } });
  }

  /** The row locked until the transaction ends: one renewal per user across instances. */
  findByUserIdForUpdate(manager: EntityManager, userId: string): Promise<DokuCustomerToken | null> {
    return manager.findOne(DokuCustomerToken, { where: { userId }, lock: { mode: 'pessimistic_write' } });
  }

  /** After a (re)binding: the user's tokens for `accountId`, replacing anything stored before. */
  async storeBinding(userId: string, accountId: string, tokens: SealedCustomerTokens): Promise<void> {
    await this.db.query(
      `INSERT INTO doku_customer_tokens
         (user_id, account_id, access_token_ciphertext, access_expires_at, refresh_token_ciphertext, refresh_expires_at, needs_rebinding, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, false, now())
       ON CONFLICT (user_id) DO UPDATE SET
         account_id = EXCLUDED.account_id,
         access_token_ciphertext = EXCLUDED.access_token_ciphertext,
         access_expires_at = EXCLUDED.access_expires_at,
         refresh_token_ciphertext = EXCLUDED.refresh_token_ciphertext,
         refresh_expires_at = EXCLUDED.refresh_expires_at,
         needs_rebinding = false,
         updated_at = now()`,
      [userId, accountId, tokens.accessTokenCiphertext, tokens.accessExpiresAt, tokens.refreshTokenCiphertext, tokens.refreshExpiresAt],
    );
  }

  async saveRenewedTokens(manager: EntityManager, userId: string, tokens: SealedCustomerTokens): Promise<void> {
    await manager.update(DokuCustomerToken, { userId }, { ...tokens, needsRebinding: false });
  }

  /** The access token is dead; the refresh token (if any) is kept for the next renewal. */
  async clearAccessToken(manager: EntityManager, userId: string): Promise<void> {
    await manager.update(DokuCustomerToken, { userId }, { accessTokenCiphertext: null, accessExpiresAt: null });
  }

  /** No token can be had any more: drop them and flag the user for Account Binding. */
  async markNeedsRebinding(manager: EntityManager, userId: string): Promise<void> {
    await manager.update(
      DokuCustomerToken,
      { userId },
      { needsRebinding: true, accessTokenCiphertext: null, accessExpiresAt: null, refreshTokenCiphertext: null, refreshExpiresAt: null },
    );
  }

  /**
   * Up to `limit` rows with a token not sealed under `sealedPrefix` (the current key's), locked
   * until the transaction ends; rows another instance holds (a renewal, another batch) are skipped.
   */
  findSealedUnderOtherKeys(
    manager: EntityManager,
    sealedPrefix: string,
    limit: number,
  ): Promise<Array<{ userId: string; accessTokenCiphertext: string | null; refreshTokenCiphertext: string | null }>> {
    return manager.query(
      `SELECT user_id AS "userId", access_token_ciphertext AS "accessTokenCiphertext", refresh_token_ciphertext AS "refreshTokenCiphertext"
         FROM doku_customer_tokens
        WHERE left(access_token_ciphertext, length($1)) <> $1 OR left(refresh_token_ciphertext, length($1)) <> $1
        LIMIT $2
        FOR UPDATE SKIP LOCKED`,
      [sealedPrefix, limit],
    );
  }

  /** The same tokens sealed again (under the current key). */
  async replaceSealed(manager: EntityManager, userId: string, access: string | null, refresh: string | null): Promise<void> {
    await manager.query(`UPDATE doku_customer_tokens SET access_token_ciphertext = $2, refresh_token_ciphertext = $3 WHERE user_id = $1`, [
      userId,
      access,
      refresh,
    ]);
  }

  /** Stored customer tokens by the key that sealed them (the key id, or `v1` for the first format). */
  countByKey(): Promise<Array<{ key: string; tokens: number }>> {
    return this.db.query(
      `SELECT key, count(*)::int AS tokens FROM (
         SELECT CASE WHEN c LIKE 'v2.%' THEN split_part(c, '.', 2) ELSE split_part(c, '.', 1) END AS key
           FROM doku_customer_tokens, LATERAL (VALUES (access_token_ciphertext), (refresh_token_ciphertext)) AS v(c)
          WHERE c IS NOT NULL) k
        GROUP BY key ORDER BY key`,
    );
  }

  async deleteByUserId(userId: string): Promise<void> {
    await this.db.manager.delete(DokuCustomerToken, { userId });
  }
}
