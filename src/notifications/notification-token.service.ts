import { Injectable } from '@nestjs/common';
import { parseDokuTimestamp } from '../integrations/doku/snap/doku-time';
import { KeyObject } from 'node:crypto';
import { hashToken, randomSecret } from '../common/crypto/hashing';
import { AppConfigService } from '../config/app-config.service';
import { jakartaTimestamp, parsePublicKey, verifyTokenRequestSignature } from '../integrations/doku/snap/doku-signature';
import { NotificationsRepository } from './notifications.repository';
import { SnapError } from './snap-error';

/** DOKU's clock and ours may differ a little; a request signed long ago is a replay (docs/doku-integration.md#timestamp-format). */
export const TIMESTAMP_WINDOW_MS = 5 * 60_000;

export interface IssuedNotificationToken {
  body: {
    responseCode: string;
    responseMessage: string;
    accessToken: string;
    tokenType: 'Bearer';
    expiresIn: number;
    additionalInfo: string;
  };
  headers: Record<string, string>;
}

export function withinWindow(timestamp: string | undefined, now = Date.now()): boolean {
  const at = parseDokuTimestamp(timestamp);
  return at !== null && Math.abs(now - at) <= TIMESTAMP_WINDOW_MS;
}

/**
 * The token handshake of docs/doku-integration.md#notifications, on our side: DOKU asks us for a
 * token with an RSA signature over `clientId|X-TIMESTAMP` under its private key; we check it with
 * DOKU's public key and hand out a short-lived random token. The SDKs mint an RS256 JWT here; an
 * opaque token looked up by its SHA-256 does the same job (only we read it) and nothing secret is
 * stored.
 */
@Injectable()
export class NotificationTokenService {
  /** DOKU's public keys: one, or during a rotation the new one and the old one. */
  private readonly dokuPublicKeys: KeyObject[];
  /** Token hash -> expiry (epoch ms) of the tokens the database has shown live. */
  private readonly live = new Map<string, number>();

  constructor(
    private readonly repository: NotificationsRepository,
    private readonly config: AppConfigService,
  ) {
    this.dokuPublicKeys = config.doku.dokuPublicKeyPems.map(parsePublicKey);
  }

  async issue(
    clientKey: string | undefined,
    timestamp: string | undefined,
    signature: string | undefined,
  ): Promise<IssuedNotificationToken> {
    const clientId = this.config.doku.clientId;
    const valid =
      clientKey === clientId &&
      withinWindow(timestamp) &&
      typeof signature === 'string' &&
      this.dokuPublicKeys.some((key) => verifyTokenRequestSignature(clientId, timestamp as string, signature, key));
    if (!valid) throw new SnapError(401, '4017300', 'Unauthorized. Invalid Signature');
    const ttl = this.config.doku.notificationTokenTtlSeconds;
    const token = randomSecret('dnt');
    await this.repository.storeToken(hashToken(token), clientId, new Date(Date.now() + ttl * 1000));
    return {
      body: {
        responseCode: '2007300',
        responseMessage: 'Successful',
        accessToken: token,
        tokenType: 'Bearer',
        expiresIn: ttl,
        additionalInfo: '',
      },
      headers: { 'X-CLIENT-KEY': clientId, 'X-TIMESTAMP': jakartaTimestamp(new Date()) },
    };
  }

  /**
   * Whether `token` is one we issued and it has not expired. A token cannot be withdrawn before it
   * expires, so once the database has shown it live it is remembered until then: DOKU presents the
   * same token on every notification for its lifetime, and the acknowledgement skips a query.
   */
  async isLive(token: string): Promise<boolean> {
    const hash = hashToken(token);
    const known = this.live.get(hash);
    if (known !== undefined) {
      if (known > Date.now()) return true;
      this.live.delete(hash);
    }
    const expiresAt = await this.repository.liveTokenExpiry(hash);
    if (!expiresAt) return false;
    // About one token per lifetime per DOKU client: a small map; cleared if something floods it.
    if (this.live.size >= 1000) this.live.clear();
    this.live.set(hash, expiresAt.getTime());
    return true;
  }
}
