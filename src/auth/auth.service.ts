import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { hashPassword, hashToken, randomSecret, verifyPassword } from '../common/crypto/hashing';
import { AppConfigService } from '../config/app-config.service';
import { UserResponseDto } from '../users/dto/user.response.dto';
import { User } from '../users/entities/user.entity';
import { UsersRepository } from '../users/users.repository';
import { AuthSessionsRepository } from './auth-sessions.repository';
import { LoginRequestDto } from './dto/login.request.dto';
import { RegisterRequestDto } from './dto/register.request.dto';
import { RegisterResponseDto } from './dto/register.response.dto';
import { TokenPairResponseDto } from './dto/token-pair.response.dto';
import { TokenService } from './token.service';

// Verifying against this keeps a login for an unknown email as slow as one with a wrong password.
const DUMMY_HASH_PROMISE = hashPassword('not-a-real-password-just-for-timing');

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: AuthSessionsRepository,
    private readonly tokens: TokenService,
    private readonly config: AppConfigService,
  ) {}

  async register(input: RegisterRequestDto): Promise<RegisterResponseDto> {
    await this.assertAvailable(input.email, input.phone);
    const passwordHash = await hashPassword(input.password);
    try {
      return await this.sessions.transaction(async (tx) => {
        const user = await tx.getRepository(User).save(
          tx.getRepository(User).create({
            name: input.name,
            email: input.email.toLowerCase(),
            phone: input.phone,
            passwordHash,
            role: 'user',
          }),
        );
        const tokens = await this.startSession(tx, user);
        return { user: UserResponseDto.from(user), tokens };
      });
    } catch (e) {
      // Two registrations racing for one email or phone: the unique index decides.
      if ((e as { code?: string }).code === '23505') await this.assertAvailable(input.email, input.phone);
      throw e;
    }
  }

  async login(input: LoginRequestDto): Promise<TokenPairResponseDto> {
    const user = await this.users.findByEmailForLogin(input.email);
    const ok = user
      ? await verifyPassword(user.passwordHash, input.password)
      : await verifyPassword(await DUMMY_HASH_PROMISE, input.password).then(() => false);
    if (!user || !ok || !user.active) {
      throw new AppError('AUTH.INVALID_CREDENTIALS', 'The email or password is wrong');
    }
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
        return { error: 'AUTH.REFRESH_TOKEN_REUSED' as const };
      }
      if (stored.expiresAt.getTime() <= Date.now()) return { error: 'AUTH.INVALID_REFRESH_TOKEN' as const };
      const user = await this.users.findById(session.userId);
      if (!user || !user.active) return { error: 'AUTH.INVALID_REFRESH_TOKEN' as const };
      await this.sessions.markRefreshTokenUsed(tx, stored.id);
      return { error: undefined, tokens: await this.issueTokens(tx, user, session.id) };
    });
    if (outcome.error !== undefined) {
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
  }

  async me(userId: string): Promise<UserResponseDto> {
    const user = await this.users.findById(userId);
    if (!user) throw new AppError('USER.NOT_FOUND', 'User not found');
    return UserResponseDto.from(user);
  }

  private async assertAvailable(email: string, phone: string): Promise<void> {
    const taken = await this.users.existsWithEmailOrPhone(email, phone);
    if (taken.email) throw new AppError('USER.EMAIL_TAKEN', 'An account with this email already exists');
    if (taken.phone) throw new AppError('USER.PHONE_TAKEN', 'An account with this phone number already exists');
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
