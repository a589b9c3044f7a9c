import { mintJwt, newUuid } from './crypto';
import type { Sim } from './sim';
import type { B2bToken, CustomerToken } from './store';

/**
 * DOKU access tokens (docs/doku-integration.md#b2b-token, #customer-token): RS256 look-alike JWTs signed with
 * DOKU's private key, but authorised by lookup: one live token per client (latest wins), expiry sliding on
 * each use (unless `slidingTokenExpiry` is off).
 */
export class TokenService {
  constructor(private readonly sim: Sim) {}

  issueB2b(clientId: string): { token: string; expiresIn: number } {
    const store = this.sim.store;
    const now = this.sim.now();
    const ttl = this.sim.settings.tokenTtlMs;
    const iat = Math.floor(now / 1000);
    const token = mintJwt(this.sim.dokuPrivateKey, {
      exp: iat + Math.floor(ttl / 1000),
      nbf: iat,
      iss: 'DOKU',
      iat,
      jti: newUuid(),
      clientId,
    });
    const previous = store.latestB2b.get(clientId);
    if (previous) store.b2bTokens.delete(previous);
    store.b2bTokens.set(token, { token, clientId, expiresAt: now + ttl, revoked: false });
    store.latestB2b.set(clientId, token);
    return { token, expiresIn: Math.floor(ttl / 1000) };
  }

  /** The live, latest token, its expiry pushed out by this use; undefined otherwise. */
  useB2b(token: string): B2bToken | undefined {
    const rec = this.sim.store.b2bTokens.get(token);
    const now = this.sim.now();
    if (!rec || rec.revoked || now >= rec.expiresAt) return undefined;
    if (this.sim.store.latestB2b.get(rec.clientId) !== token) return undefined;
    if (this.sim.settings.slidingTokenExpiry) rec.expiresAt = now + this.sim.settings.tokenTtlMs;
    return rec;
  }

  issueCustomer(
    clientId: string,
    accountId: string,
  ): { accessToken: string; accessExpiresAt: number; refreshToken: string; refreshExpiresAt: number } {
    const now = this.sim.now();
    const accessExpiresAt = now + this.sim.settings.tokenTtlMs;
    const refreshExpiresAt = accessExpiresAt + this.sim.settings.refreshTokenTtlMs;
    const additionalData = JSON.stringify({ accountId });
    const accessToken = mintJwt(this.sim.dokuPrivateKey, {
      exp: Math.floor(accessExpiresAt / 1000),
      iss: 'DOKU',
      clientId,
      additionalData,
      jti: newUuid(),
    });
    const refreshToken = mintJwt(this.sim.dokuPrivateKey, {
      exp: Math.floor(refreshExpiresAt / 1000),
      iss: 'DOKU',
      clientId,
      additionalData,
      jti: newUuid(),
      typ: 'refresh',
    });
    this.replace({ token: accessToken, kind: 'access', clientId, accountId, expiresAt: accessExpiresAt, sliding: true, revoked: false });
    this.replace({
      token: refreshToken,
      kind: 'refresh',
      clientId,
      accountId,
      expiresAt: refreshExpiresAt,
      sliding: false,
      revoked: false,
    });
    return { accessToken, accessExpiresAt, refreshToken, refreshExpiresAt };
  }

  private replace(rec: CustomerToken): void {
    const store = this.sim.store;
    const key = `${rec.kind}|${rec.clientId}|${rec.accountId}`;
    const previous = store.latestCustomer.get(key);
    if (previous) store.customerTokens.delete(previous);
    store.customerTokens.set(rec.token, rec);
    store.latestCustomer.set(key, rec.token);
  }

  /** Looks a customer token up; `use` slides an access token's expiry. */
  findCustomer(token: string, kind: 'access' | 'refresh', use: boolean): CustomerToken | undefined {
    const store = this.sim.store;
    const rec = store.customerTokens.get(token);
    const now = this.sim.now();
    if (!rec || rec.kind !== kind || rec.revoked || now >= rec.expiresAt) return undefined;
    if (store.latestCustomer.get(`${rec.kind}|${rec.clientId}|${rec.accountId}`) !== token) return undefined;
    if (use && rec.sliding && this.sim.settings.slidingTokenExpiry) rec.expiresAt = now + this.sim.settings.tokenTtlMs;
    return rec;
  }

  /** Revokes tokens; returns how many were live. */
  revoke(filter: { clientId?: string; accountId?: string; kind?: 'b2b' | 'b2b2c' | 'all' }): number {
    const store = this.sim.store;
    const kind = filter.kind ?? 'all';
    let count = 0;
    if (kind === 'b2b' || kind === 'all') {
      for (const rec of store.b2bTokens.values()) {
        if (filter.clientId && rec.clientId !== filter.clientId) continue;
        if (filter.accountId) continue;
        if (!rec.revoked) count += 1;
        rec.revoked = true;
      }
    }
    if (kind === 'b2b2c' || kind === 'all') {
      for (const rec of store.customerTokens.values()) {
        if (filter.clientId && rec.clientId !== filter.clientId) continue;
        if (filter.accountId && rec.accountId !== filter.accountId) continue;
        if (!rec.revoked) count += 1;
        rec.revoked = true;
      }
    }
    return count;
  }
}
