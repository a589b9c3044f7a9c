import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { hashPassword, hashToken, randomSecret, verifyPassword } from '../common/crypto/hashing';
import { AppConfigService } from '../config/app-config.service';
import { UserResponseDto } from '../users/dto/user.response.dto';
import { User } from '../users/entities/user.entity';
import type { UserRole } from '../users/entities/user.entity';
import { UsersRepository } from '../users/users.repository';
import { AuthSessionsRepository } from './auth-sessions.repository';
import { LoginRequestDto } from './dto/login.request.dto';
import { RegisterRequestDto } from './dto/register.request.dto';
import { RegisterResponseDto } from './dto/register.response.dto';
import { TokenPairResponseDto } from './dto/token-pair.response.dto';
import { LoginLockoutService } from './login-lockout.service';
import { PrincipalCache } from '../common/auth/principal-cache';
import { OutboxRepository } from '../outbox/outbox.repository';
import { TokenService } from './token.service';

const REGISTRATION_RECEIVED: RegisterResponseDto = {
  status: 'received',
  message:
    'If this email and phone number were not registered yet, the account is ready: sign in with them. If either was, its owner has been told.',
};

// Verifying against this keeps a login for an unknown email as slow as one with a wrong password.
const DUMMY_HASH_PROMISE = hashPassword('not-a-real-password-just-for-timing');

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: AuthSessionsRepository,
    private readonly tokens: TokenService,
    private readonly config: AppConfigService,
    private readonly lockout: LoginLockoutService,
    private readonly outbox: OutboxRepository,
    private readonly principals: PrincipalCache,
  ) {}

  /**
   * Registers a partner user. The answer is the same whether or not the email or phone number is
   * already taken, and takes as long (the password is hashed either way), so registration cannot be
   * used to find out who has an account. When one is taken, nothing is created and the owner of
   * that account is told out of band: a `user.registration_attempted` event for the partner's
   * notification service. The app signs in afterwards with the same email and password.
   */
  async register(input: RegisterRequestDto): Promise<RegisterResponseDto> {
    const passwordHash = await hashPassword(input.password);
    const email = input.email.toLowerCase();
    if (!(await this.users.ownersOf(email, input.phone)).length) {
      try {
        await this.sessions.transaction((tx) =>
          tx.getRepository(User).insert({ name: input.name, email, phone: input.phone, passwordHash, role: 'user' }),
        );
        return REGISTRATION_RECEIVED;
      } catch (e) {
        // Another registration for this email or phone won the race: the unique index decides.
        if ((e as { code?: string }).code !== '23505') throw e;
      }
    }
    const owners = await this.users.ownersOf(email, input.phone);
    await this.sessions.transaction(async (tx) => {
      for (const owner of owners) {
        await this.outbox.append(tx, {
          type: 'user.registration_attempted',
          aggregateType: 'user',
          aggregateId: owner.id,
          userId: owner.id,
          payload: { userId: owner.id, matched: [...(owner.email ? ['email'] : []), ...(owner.phone ? ['phone'] : [])] },
        });
      }
    });
    return REGISTRATION_RECEIVED;
  }

  /**
   * Signs in with email and password. With `roles` (the console's sign-in), a person of another role
   * is refused with 403 after the password check, and no session is started for them.
   */
  async login(input: LoginRequestDto, roles?: readonly UserRole[]): Promise<TokenPairResponseDto> {
    const key = LoginLockoutService.keyFor(input.email);
    await this.lockout.assertNotLocked(key);
    const user = await this.users.findByEmailForLogin(input.email);
    const ok = user
      ? await verifyPassword(user.passwordHash, input.password)
      : await verifyPassword(await DUMMY_HASH_PROMISE, input.password).then(() => false);
    if (!user || !ok || !user.active) {
      await this.lockout.recordFailure(key, user?.id ?? null);
      throw new AppError('AUTH.INVALID_CREDENTIALS', 'The email or password is wrong');
    }
    await this.lockout.recordSuccess(key);
    if (roles && !roles.includes(user.role)) throw new AppError('AUTH.FORBIDDEN', 'This sign-in is for the back office only');
    return this.sessions.transaction((tx) => this.startSession(tx, user));
  }

  /**
   * Rotates a refresh token. Each token works once; presenting one that was already used means it
   * leaked (or a client raced itself), so the whole session family is revoked.
   */
  async refresh(refreshToken: string): Promise<TokenPairResponseDto> {
    const outcome = await this.sessions.transaction(async (tx) => {
      const stored = await this.sessions.findRefreshTokenForUpdate(tx, hashToken(refreshToken));
      if (!stored) return { error: 'AUTH.INVALID_REFRESH_TOKEN' as const };
      const session = await this.sessions.findSession(tx, stored.sessionId);
      if (!session || session.revokedAt) return { error: 'AUTH.INVALID_REFRESH_TOKEN' as const };
      if (stored.usedAt) {
        await this.sessions.revokeSession(tx, session.id, 'refresh token reused');
        return { error: 'AUTH.REFRESH_TOKEN_REUSED' as const, revoked: session.id };
      }
      if (stored.expiresAt.getTime() <= Date.now()) return { error: 'AUTH.INVALID_REFRESH_TOKEN' as const };
      const user = await this.users.findById(session.userId);
      if (!user || !user.active) return { error: 'AUTH.INVALID_REFRESH_TOKEN' as const };
      await this.sessions.markRefreshTokenUsed(tx, stored.id);
      return { error: undefined, tokens: await this.issueTokens(tx, user, session.id) };
    });
    if (outcome.error !== undefined) {
      if ('revoked' in outcome) this.principals.forget(`session:${outcome.revoked}`);
      throw new AppError(
        outcome.error,
        outcome.error === 'AUTH.REFRESH_TOKEN_REUSED'
          ? 'This refresh token was already used; the session has been ended. Sign in again.'
          : 'The refresh token is invalid or expired',
      );
    }
    return outcome.tokens;
  }

  async logout(sessionId: string): Promise<void> {
    await this.sessions.revokeSession(undefined, sessionId, 'logout');
    this.principals.forget(`session:${sessionId}`);
  }

  async me(userId: string): Promise<UserResponseDto> {
    const user = await this.users.findById(userId);
    if (!user) throw new AppError('USER.NOT_FOUND', 'User not found');
    return UserResponseDto.from(user);
  }

  private async startSession(tx: EntityManager, user: User): Promise<TokenPairResponseDto> {
    const session = await this.sessions.createSession(tx, user.id);
    return this.issueTokens(tx, user, session.id);
  }

  private async issueTokens(tx: EntityManager, user: User, sessionId: string): Promise<TokenPairResponseDto> {
    const refreshToken = randomSecret('rt');
    const expiresAt = new Date(Date.now() + this.config.auth.refreshTokenTtlSeconds * 1000);
    await this.sessions.addRefreshToken(tx, sessionId, hashToken(refreshToken), expiresAt);
    const access = this.tokens.signUser({ sub: user.id, role: user.role, sid: sessionId });
    return { accessToken: access.token, tokenType: 'Bearer', expiresIn: access.expiresIn, refreshToken };
  }
}
