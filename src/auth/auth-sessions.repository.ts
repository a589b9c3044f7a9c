import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AuthSession } from './entities/auth-session.entity';
import { RefreshToken } from './entities/refresh-token.entity';
import { UserRole } from '../users/entities/user.entity';

@Injectable()
export class AuthSessionsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async createSession(tx: EntityManager, userId: string): Promise<AuthSession> {
    return tx.getRepository(AuthSession).save({ userId, revokedAt: null, revokedReason: null });
  }

  async addRefreshToken(tx: EntityManager, sessionId: string, tokenHash: string, expiresAt: Date): Promise<void> {
    await tx.getRepository(RefreshToken).insert({ sessionId, tokenHash, expiresAt, usedAt: null });
  }

  /** Locks the refresh token row so that two concurrent uses of one token cannot both succeed. */
  findRefreshTokenForUpdate(tx: EntityManager, tokenHash: string): Promise<RefreshToken | null> {
    return tx
      .getRepository(RefreshToken)
      .createQueryBuilder('t')
      .setLock('pessimistic_write')
      .where('t.tokenHash = :tokenHash', { tokenHash })
      .getOne();
  }

  findSession(tx: EntityManager, sessionId: string): Promise<AuthSession | null> {
    return tx.getRepository(AuthSession).findOne({ where: { id: sessionId } });
  }

  async markRefreshTokenUsed(tx: EntityManager, id: string): Promise<void> {
    await tx.getRepository(RefreshToken).update({ id }, { usedAt: new Date() });
  }

  async revokeSession(tx: EntityManager | undefined, sessionId: string, reason: string): Promise<void> {
    await (tx ?? this.db.manager)
      .getRepository(AuthSession)
      .update({ id: sessionId, revokedAt: IsNull() }, { revokedAt: new Date(), revokedReason: reason });
  }

  /**
   * The user's current role when the session is live and its user active, else null: checked on
   * every user request.
   */
  async activeSessionRole(sessionId: string, userId: string): Promise<UserRole | null> {
    const rows: { role: UserRole }[] = await this.db.query(
      `SELECT u.role FROM auth_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND u.active`,
      [sessionId, userId],
    );
    return rows.length === 1 ? rows[0].role : null;
  }
}
