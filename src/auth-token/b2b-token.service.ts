import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SecretBox } from '../common/crypto/secret-box';
import { AppConfigService } from '../config/app-config.service';
import { DokuClock } from '../integrations/doku/snap/doku-clock';
import { DokuClient } from '../integrations/doku/snap/doku.client';
import type { B2bTokenSource } from '../integrations/doku/snap/doku.ports';
import { B2bTokensRepository } from './b2b-tokens.repository';
import { DokuB2bToken } from './entities/doku-b2b-token.entity';

// Refresh this long before expiry (DOKU's SDKs use 10 s; 60 s is safer), or a quarter of the
// lifetime when DOKU hands out shorter tokens.
const REFRESH_MARGIN_MS = 60_000;
// DOKU's tokens live 900 s; used only if an answer lacks `expiresIn`.
const DEFAULT_LIFETIME_S = 900;

interface CachedToken {
  token: string;
  version: number;
  refreshAtMs: number;
}

const logger = new Logger('B2bTokenService');

/**
 * The B2B access token, one for the whole fleet (docs/doku-integration.md#b2b-token, "latest token
 * wins": a second instance fetching its own token would revoke the first one's).
 *
 * - Hot path: a memory read of the decrypted token until `expiresAt - margin`.
 * - Refresh: single-flight inside the process; across instances the newest token lives in
 *   `doku_b2b_tokens` (sealed with AES-256-GCM), and fetching happens under a transaction-level
 *   advisory lock with a re-check after acquiring it, so one instance asks DOKU and the others read
 *   its row. N instances make one token request per token lifetime, not N.
 * - `invalidate(token)` (after `401xx01`/`401xx03`) marks exactly that version refused, so
 *   instances that all saw the same 401 cause one new fetch between them.
 */
@Injectable()
export class B2bTokenService implements B2bTokenSource {
  private current: CachedToken | undefined;
  private loading: Promise<CachedToken> | undefined;
  /** Versions up to this one were refused by DOKU in this process: never adopt them again. */
  private refusedVersion = 0;

  constructor(
    private readonly repository: B2bTokensRepository,
    @InjectDataSource() private readonly db: DataSource,
    private readonly box: SecretBox,
    private readonly config: AppConfigService,
    private readonly clock: DokuClock,
    private readonly client: DokuClient,
  ) {}

  async getToken(): Promise<string> {
    const cached = this.current;
    if (cached && this.clock.now().getTime() < cached.refreshAtMs) return cached.token;
    return (await this.load()).token;
  }

  async invalidate(token: string): Promise<void> {
    const cached = this.current;
    // Someone in this process already replaced it: nothing to do (single-flight).
    if (!cached || cached.token !== token) return;
    this.current = undefined;
    this.refusedVersion = Math.max(this.refusedVersion, cached.version);
    await this.repository.markInvalidated(this.config.doku.clientId, cached.version);
  }

  private load(): Promise<CachedToken> {
    this.loading ??= this.obtain().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async obtain(): Promise<CachedToken> {
    const clientId = this.config.doku.clientId;
    // Usually another instance has already refreshed: one read, no lock.
    const stored = this.usable(await this.repository.findByClientId(clientId));
    if (stored) return this.adopt(stored);

    for (;;) {
      const token = await this.db.transaction(async (manager) => {
        await this.repository.lockForRefresh(manager, clientId);
        const row = await this.repository.findByClientId(clientId, manager);
        const fresh = this.usable(row);
        if (fresh) return fresh;
        return this.fetchAndStore(manager, clientId, row?.version ?? 0);
      });
      // A concurrent invalidate() may have refused this very version while we waited.
      if (token.version > this.refusedVersion) return this.adopt(token);
    }
  }

  private async fetchAndStore(manager: EntityManager, clientId: string, previousVersion: number): Promise<CachedToken> {
    // The request time, not the answer time: expiry is never over-estimated.
    const requestedAt = this.clock.now();
    const { body } = await this.client.b2bToken();
    if (typeof body.accessToken !== 'string' || body.accessToken.length === 0) {
      throw new Error('DOKU B2B token answer carries no accessToken');
    }
    const lifetimeS = typeof body.expiresIn === 'number' && body.expiresIn > 0 ? body.expiresIn : DEFAULT_LIFETIME_S;
    const expiresAt = new Date(requestedAt.getTime() + lifetimeS * 1000);
    const version = previousVersion + 1;
    await this.repository.saveVersion(manager, {
      clientId,
      accessTokenCiphertext: this.box.seal(body.accessToken, this.context(clientId)),
      obtainedAt: requestedAt,
      expiresAt,
      version,
    });
    logger.log(`Obtained DOKU B2B token version ${version}, valid ${lifetimeS} s`);
    return { token: body.accessToken, version, refreshAtMs: refreshAt(requestedAt, expiresAt) };
  }

  /** The stored token when it is current, unrefused, not near expiry and readable. */
  private usable(row: DokuB2bToken | null): CachedToken | undefined {
    if (!row || row.invalidatedAt || row.version <= this.refusedVersion) return undefined;
    const refreshAtMs = refreshAt(row.obtainedAt, row.expiresAt);
    if (this.clock.now().getTime() >= refreshAtMs) return undefined;
    try {
      return { token: this.box.open(row.accessTokenCiphertext, this.context(row.clientId)), version: row.version, refreshAtMs };
    } catch {
      // Sealed under another key (rotation) or damaged: fetching a new token replaces it.
      logger.warn('Stored DOKU B2B token cannot be decrypted; fetching a new one');
      return undefined;
    }
  }

  private adopt(token: CachedToken): CachedToken {
    this.current = token;
    return token;
  }

  private context(clientId: string): string {
    return `doku_b2b_tokens|${clientId}`;
  }
}

function refreshAt(obtainedAt: Date, expiresAt: Date): number {
  const lifetime = expiresAt.getTime() - obtainedAt.getTime();
  return expiresAt.getTime() - Math.min(REFRESH_MARGIN_MS, lifetime / 4);
}
