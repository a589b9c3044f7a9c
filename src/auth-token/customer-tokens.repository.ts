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

  async deleteByUserId(userId: string): Promise<void> {
    await this.db.manager.delete(DokuCustomerToken, { userId });
  }
}
