import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SecretBox } from '../common/crypto/secret-box';
import { AppError } from '../common/errors/app-error';
import { AppConfigService } from '../config/app-config.service';
import { decryptAuthCode } from '../integrations/doku/snap/doku-signature';
import { DokuClock } from '../integrations/doku/snap/doku-clock';
import { DokuCustomerTokens } from '../integrations/doku/wallet/customer-token.facade';
import type { CustomerTokenGrant, CustomerTokens } from '../integrations/doku/wallet/customer-token.mapper';
import { DokuResponseError } from '../integrations/doku/snap/doku.errors';
import { needsRebinding } from './auth-token.errors';
import { CustomerTokensRepository, SealedCustomerTokens } from './customer-tokens.repository';
import { DokuCustomerToken } from './entities/doku-customer-token.entity';
import { newPartnerReference } from '../transactions/partner-reference';

const REFRESH_MARGIN_MS = 60_000;
// DOKU's customer tokens live 900 s, sliding; used only when DOKU's answer lacks a readable expiry.
const DEFAULT_ACCESS_LIFETIME_MS = 900_000;
const MAX_CACHED_USERS = 10_000;

// Answers that mean "this way back is closed", as opposed to DOKU being down or slow
// (docs/doku-integration.md#refused-tokens). On the token endpoint a 401xx01 also means the refresh
// token is bad (as DOKU's demo app reads it).
const TOKEN_GRANT_REFUSED = new Set<DokuResponseError['kind']>(['INVALID_CUSTOMER_TOKEN', 'INVALID_B2B_TOKEN', 'NOT_FOUND', 'REJECTED']);
const BINDING_GONE = new Set<DokuResponseError['kind']>(['INVALID_CUSTOMER_TOKEN', 'NOT_FOUND', 'REJECTED']);

interface CachedCustomerToken {
  token: string;
  refreshAtMs: number;
}

type Renewal = { token: string } | { rebind: true };

const logger = new Logger('CustomerTokenVault');

/**
 * Per-user B2B2C (customer) tokens (docs/doku-integration.md#customer-token), sealed at rest in
 * `doku_customer_tokens`. `getValidToken` gives a live token, renewing it when it is expired or near
 * expiry by the three ways back, in order: the refresh token; Query Account Binding's fresh authCode
 * (decrypted with the partner's auth-code key); and, when DOKU has refused both, a
 * `WALLET.NEEDS_REBINDING` error with the row flagged so later calls fail fast. DOKU being unreachable
 * never flags anyone: those errors reach the caller as they are.
 *
 * Renewal is single-flight per user inside the process and serialised by a row lock across
 * instances (latest token wins at DOKU for customer tokens too).
 */
@Injectable()
export class CustomerTokenVault {
  private readonly cache = new Map<string, CachedCustomerToken>();
  private readonly renewing = new Map<string, Promise<string>>();
  /**
   * Per user, the last token DOKU refused in this process. A lookup that began before the refusal
   * (the cache, a renewal in flight, a row read before the token was cleared) can still produce it;
   * it is never handed out again, so the caller's one retry gets a token DOKU may accept.
   */
  private readonly refused = new Map<string, string>();

  constructor(
    private readonly repository: CustomerTokensRepository,
    @InjectDataSource() private readonly db: DataSource,
    private readonly box: SecretBox,
    private readonly doku: DokuCustomerTokens,
    private readonly config: AppConfigService,
    private readonly clock: DokuClock,
  ) {}

  /**
   * After Account Binding (docs/doku-integration.md#binding): exchanges the redirect's authCode for the
   * user's tokens and stores them, clearing any rebinding flag. `accountId` defaults to the one DOKU
   * puts in the access token; when both are known they must agree.
   */
  async storeFromAuthCode(userId: string, authCode: string, accountId?: string): Promise<void> {
    const { body } = await this.doku.issue({ authCode });
    const issued = this.readGrant(body);
    const tokenAccountId = accountIdOf(issued.accessToken);
    if (accountId && tokenAccountId && accountId !== tokenAccountId) {
      throw new AppError('DOKU.BAD_REQUEST', 'The authCode belongs to another DOKU account');
    }
    const boundAccountId = accountId ?? tokenAccountId;
    if (!boundAccountId) throw new AppError('DOKU.BAD_REQUEST', 'DOKU did not say which account the token is for');
    await this.repository.storeBinding(userId, boundAccountId, this.seal(userId, issued));
    this.remember(userId, issued.accessToken, issued.accessExpiresAt, this.clock.now());
  }

  /** A live customer token for `Authorization-Customer`; throws `WALLET.NEEDS_REBINDING` when none can be had. */
  async getValidToken(userId: string): Promise<string> {
    const cached = this.cache.get(userId);
    const refused = this.refused.get(userId);
    if (cached && this.clock.now().getTime() < cached.refreshAtMs && cached.token !== refused) return cached.token;
    const token = await this.lookUp(userId);
    // A lookup already in flight when DOKU refused this token returned it: the next one skips it.
    return token === this.refused.get(userId) ? this.lookUp(userId) : token;
  }

  /** Single-flight per user within the process. */
  private lookUp(userId: string): Promise<string> {
    let pending = this.renewing.get(userId);
    if (!pending) {
      pending = this.resolve(userId).finally(() => this.renewing.delete(userId));
      this.renewing.set(userId, pending);
    }
    return pending;
  }

  /**
   * DOKU refused the user's customer token (`401xx02`/`401xx04`). With `rejectedToken`, only
   * that token is dropped, so a token another instance has already renewed is kept; without it,
   * whatever access token is stored is dropped. The refresh token stays for the next renewal.
   */
  async invalidateCustomerToken(userId: string, rejectedToken?: string): Promise<void> {
    if (rejectedToken !== undefined) storeRecent(this.refused, userId, rejectedToken);
    this.cache.delete(userId);
    await this.db.transaction(async (manager) => {
      const row = await this.repository.findByUserIdForUpdate(manager, userId);
      if (!row?.accessTokenCiphertext) return;
      if (rejectedToken !== undefined && this.open(row, 'access', row.accessTokenCiphertext) !== rejectedToken) return;
      await this.repository.clearAccessToken(manager, userId);
    });
  }

  /** After unbinding (docs/doku-integration.md#unbinding): the user's tokens are deleted. */
  async purge(userId: string): Promise<void> {
    this.cache.delete(userId);
    this.refused.delete(userId);
    await this.repository.deleteByUserId(userId);
  }

  private async resolve(userId: string): Promise<string> {
    const row = await this.repository.findByUserId(userId);
    this.assertBound(row);
    const live = this.liveAccessToken(row);
    if (live) return live;

    const renewal = await this.db.transaction(async (manager): Promise<Renewal> => {
      const locked = await this.repository.findByUserIdForUpdate(manager, userId);
      this.assertBound(locked);
      // Another instance may have renewed it while this one waited for the lock.
      const renewed = this.liveAccessToken(locked);
      if (renewed) return { token: renewed };
      const issued = await this.renew(locked);
      if (!issued) {
        await this.repository.markNeedsRebinding(manager, userId);
        return { rebind: true };
      }
      await this.repository.saveRenewedTokens(manager, userId, this.seal(userId, issued));
      this.remember(userId, issued.accessToken, issued.accessExpiresAt, this.clock.now());
      return { token: issued.accessToken };
    });
    // Thrown after the commit, so the flag is stored.
    if ('rebind' in renewal) {
      logger.warn(`DOKU refused every way to renew the customer token of user ${userId}; rebinding needed`);
      throw needsRebinding('TOKENS_REFUSED');
    }
    return renewal.token;
  }

  /** New tokens through the refresh token, then Query Account Binding; undefined when DOKU refused both. */
  private async renew(row: DokuCustomerToken): Promise<IssuedTokens | undefined> {
    const now = this.clock.now().getTime();
    if (row.refreshTokenCiphertext && (!row.refreshExpiresAt || row.refreshExpiresAt.getTime() > now)) {
      const refreshToken = this.open(row, 'refresh', row.refreshTokenCiphertext);
      const refreshed = await this.grant({ refreshToken });
      if (refreshed) return refreshed;
    }
    const authCode = await this.freshAuthCode(row.accountId);
    return authCode ? this.grant({ authCode }) : undefined;
  }

  private async grant(grant: CustomerTokenGrant): Promise<IssuedTokens | undefined> {
    try {
      const { body } = await this.doku.issue(grant);
      return this.readGrant(body);
    } catch (error) {
      if (error instanceof DokuResponseError && TOKEN_GRANT_REFUSED.has(error.kind)) return undefined;
      throw error;
    }
  }

  /** Query Account Binding: a new authCode for a still-bound account; undefined when DOKU says it is not bound. */
  private async freshAuthCode(accountId: string): Promise<string | undefined> {
    let encrypted: string | undefined;
    try {
      const { body } = await this.doku.queryBinding(accountId, newPartnerReference('QAB'));
      encrypted = body.encryptedAuthCode;
    } catch (error) {
      if (error instanceof DokuResponseError && BINDING_GONE.has(error.kind)) return undefined;
      throw error;
    }
    if (!encrypted) return undefined;
    // A wrong DOKU_AUTH_CODE_KEY fails here for every user: an operator problem, never a reason to
    // flag users for rebinding, so it is thrown.
    return decryptAuthCode(encrypted, this.config.doku.authCodeKey);
  }

  private readGrant(tokens: CustomerTokens): IssuedTokens {
    if (tokens.accessToken === undefined) {
      throw new AppError('DOKU.BAD_REQUEST', 'DOKU customer token answer carries no accessToken');
    }
    const now = this.clock.now().getTime();
    return {
      accessToken: tokens.accessToken,
      accessExpiresAt: tokens.accessTokenExpiresAt ?? new Date(now + DEFAULT_ACCESS_LIFETIME_MS),
      refreshToken: tokens.refreshToken,
      refreshExpiresAt: tokens.refreshTokenExpiresAt,
    };
  }

  private assertBound(row: DokuCustomerToken | null): asserts row is DokuCustomerToken {
    if (!row) throw needsRebinding('NOT_BOUND');
    if (row.needsRebinding) throw needsRebinding('FLAGGED');
  }

  /** The stored access token when it is not near expiry (and cached for the next call). */
  private liveAccessToken(row: DokuCustomerToken): string | undefined {
    if (!row.accessTokenCiphertext || !row.accessExpiresAt) return undefined;
    const refreshAtMs = refreshAt(row.accessExpiresAt, row.updatedAt);
    if (this.clock.now().getTime() >= refreshAtMs) return undefined;
    let token: string;
    try {
      token = this.open(row, 'access', row.accessTokenCiphertext);
    } catch {
      logger.warn(`Stored customer token of user ${row.userId} cannot be decrypted; renewing it`);
      return undefined;
    }
    // Read before the refusal cleared it from the row: renew (under the row lock) instead.
    if (token === this.refused.get(row.userId)) return undefined;
    this.cacheToken(row.userId, { token, refreshAtMs });
    return token;
  }

  private remember(userId: string, token: string, expiresAt: Date, obtainedAt: Date): void {
    this.cacheToken(userId, { token, refreshAtMs: refreshAt(expiresAt, obtainedAt) });
  }

  private cacheToken(userId: string, entry: CachedCustomerToken): void {
    storeRecent(this.cache, userId, entry);
  }

  private seal(userId: string, issued: IssuedTokens): SealedCustomerTokens {
    return {
      accessTokenCiphertext: this.box.seal(issued.accessToken, customerTokenContext(userId, 'access')),
      accessExpiresAt: issued.accessExpiresAt,
      refreshTokenCiphertext: issued.refreshToken ? this.box.seal(issued.refreshToken, customerTokenContext(userId, 'refresh')) : null,
      refreshExpiresAt: issued.refreshExpiresAt,
    };
  }

  private open(row: DokuCustomerToken, kind: 'access' | 'refresh', sealed: string): string {
    return this.box.open(sealed, customerTokenContext(row.userId, kind));
  }
}

interface IssuedTokens {
  accessToken: string;
  accessExpiresAt: Date;
  refreshToken: string | null;
  refreshExpiresAt: Date | null;
}

/** Stores `value` as the most recent entry of a per-user map bounded to MAX_CACHED_USERS. */
function storeRecent<T>(map: Map<string, T>, userId: string, value: T): void {
  map.delete(userId);
  map.set(userId, value);
  // Map keeps insertion order: the first key is the least recently stored.
  if (map.size > MAX_CACHED_USERS) map.delete(map.keys().next().value as string);
}

/** The additional authenticated data a customer token is sealed with: its row and its kind. */
export function customerTokenContext(userId: string, kind: 'access' | 'refresh'): string {
  return `doku_customer_tokens|${userId}|${kind}`;
}

/** Renew a minute before expiry, or after three quarters of a shorter lifetime. */
function refreshAt(expiresAt: Date, obtainedAt: Date): number {
  const lifetime = Math.max(0, expiresAt.getTime() - obtainedAt.getTime());
  return expiresAt.getTime() - Math.min(REFRESH_MARGIN_MS, lifetime / 4);
}

/** DOKU's customer token payload carries `additionalData: "{\"accountId\":\"…\"}"`. Read, not trusted for auth. */
function accountIdOf(jwt: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { additionalData?: unknown };
    const data: unknown = typeof payload.additionalData === 'string' ? JSON.parse(payload.additionalData) : payload.additionalData;
    const accountId = (data as { accountId?: unknown } | undefined)?.accountId;
    return typeof accountId === 'string' && accountId.length > 0 ? accountId : undefined;
  } catch {
    return undefined;
  }
}
