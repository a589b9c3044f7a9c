import { Injectable } from '@nestjs/common';
import { KeyObject } from 'node:crypto';
import { hashToken, randomSecret } from '../common/crypto/hashing';
import { AppConfigService } from '../config/app-config.service';
import { jakartaTimestamp, parsePublicKey, verifyTokenRequestSignature } from '../integrations/doku/doku-signature';
import { NotificationsRepository } from './notifications.repository';
import { SnapError } from './snap-error';

/** DOKU's clock and ours may differ a little; a request signed long ago is a replay (§2.2). */
export const TIMESTAMP_WINDOW_MS = 5 * 60_000;

export interface IssuedNotificationToken {
  body: { responseCode: string; responseMessage: string; accessToken: string; tokenType: 'Bearer'; expiresIn: number; additionalInfo: string };
  headers: Record<string, string>;
}

export function withinWindow(timestamp: string | undefined, now = Date.now()): boolean {
  if (!timestamp || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/.test(timestamp)) return false;
  const at = Date.parse(timestamp);
  return Number.isFinite(at) && Math.abs(now - at) <= TIMESTAMP_WINDOW_MS;
}

/**
 * Step 1 of §2.8, on our side: DOKU asks us for a token with an RSA signature over
 * `clientId|X-TIMESTAMP` under its private key; we check it with DOKU's public key and hand out a
 * short-lived random token. The SDKs mint an RS256 JWT here; an opaque token looked up by its
 * SHA-256 does the same job (only we read it) and nothing secret is stored.
 */
@Injectable()
export class NotificationTokenService {
  private readonly dokuPublicKey: KeyObject;

  constructor(
    private readonly repository: NotificationsRepository,
    private readonly config: AppConfigService,
  ) {
    this.dokuPublicKey = parsePublicKey(config.doku.dokuPublicKeyPem);
  }

  async issue(clientKey: string | undefined, timestamp: string | undefined, signature: string | undefined): Promise<IssuedNotificationToken> {
    const clientId = this.config.doku.clientId;
    const valid =
      clientKey === clientId &&
      withinWindow(timestamp) &&
      typeof signature === 'string' &&
      verifyTokenRequestSignature(clientId, timestamp as string, signature, this.dokuPublicKey);
    if (!valid) throw new SnapError(401, '4017300', 'Unauthorized. Invalid Signature');
    const ttl = this.config.doku.notificationTokenTtlSeconds;
    const token = randomSecret('dnt');
    await this.repository.storeToken(hashToken(token), clientId, new Date(Date.now() + ttl * 1000));
    return {
      body: { responseCode: '2007300', responseMessage: 'Successful', accessToken: token, tokenType: 'Bearer', expiresIn: ttl, additionalInfo: '' },
      headers: { 'X-CLIENT-KEY': clientId, 'X-TIMESTAMP': jakartaTimestamp(new Date()) },
    };
  }

  isLive(token: string): Promise<boolean> {
    return this.repository.isTokenLive(hashToken(token));
  }
}
