import { Injectable, Logger } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { Counter } from 'prom-client';
import { AppConfigService } from '../config/app-config.service';
import { parsePublicKey, verifyNotificationAsymmetric, verifyNotificationSymmetric } from '../integrations/doku/snap/doku-signature';
import { MetricsService } from '../metrics/metrics.service';
import type { NotificationSignatureKind } from './entities/doku-notification.entity';
import { minifyJson } from './json-minify';
import { NotificationTokenService, withinWindow } from './notification-token.service';
import { SnapError } from './snap-error';

const logger = new Logger('DokuNotifications');

export interface IncomingNotification {
  headers: Record<string, string | string[] | undefined>;
  /** The bytes as received: the signature covers exactly these. */
  rawBody: Buffer | undefined;
}

/** A notification that is ours and from DOKU, with the few fields we read. */
export interface VerifiedNotification {
  signatureKind: NotificationSignatureKind;
  /** The body as received (UTF-8). */
  rawBody: string;
  externalId: string | null;
  fields: NotificationFields;
}

/**
 * The first step of the notify endpoint (docs/doku-integration.md#notifications): our token, the
 * partner id, the timestamp window, DOKU's signature (the HMAC form, then the RSA form, over the
 * exact bytes and then the minified body), then the fields we read. Anything refused is a
 * `SnapError` answered to DOKU; nothing is stored.
 */
@Injectable()
export class NotificationVerifier {
  /** DOKU's public keys, and the client secrets DOKU may sign with: one of each, or two during a rotation. */
  private readonly dokuPublicKeys: KeyObject[];
  private readonly clientSecrets: string[];
  private readonly verifiedForms: Counter<'signature' | 'body'>;

  constructor(
    private readonly tokens: NotificationTokenService,
    private readonly config: AppConfigService,
    metrics: MetricsService,
  ) {
    this.dokuPublicKeys = config.doku.dokuPublicKeyPems.map(parsePublicKey);
    this.clientSecrets = [config.doku.clientSecret, ...(config.doku.previousClientSecret ? [config.doku.previousClientSecret] : [])];
    this.verifiedForms = new Counter({
      name: 'doku_notifications_verified_total',
      help: 'DOKU notifications accepted, by the signature form and the body form (exact bytes or minified) that matched',
      labelNames: ['signature', 'body'] as const,
      registers: [metrics.registry],
    });
  }

  async verify(input: IncomingNotification): Promise<VerifiedNotification> {
    const header = (name: string): string | undefined => {
      const value = input.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const authorization = header('authorization');
    // The auth scheme is case-insensitive (RFC 7235); the token itself is compared exactly.
    const bearer = authorization ? /^bearer[ ]+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
    if (!bearer || !(await this.tokens.isLive(bearer))) throw new SnapError(401, '4015601', 'Invalid Token (B2B)');
    // DOKU names the partner the notification is for: it must be us (our DOKU client id).
    if (header('x-partner-id') !== this.config.doku.clientId) throw new SnapError(401, '4015600', 'Unauthorized. Unknown X-PARTNER-ID');

    const timestamp = header('x-timestamp');
    const signature = header('x-signature');
    const rawBody = input.rawBody?.toString('utf8') ?? '';
    if (!withinWindow(timestamp) || !signature) throw new SnapError(401, '4015600', 'Unauthorized. Invalid Signature');
    const verified = this.check(rawBody, timestamp as string, signature, bearer);
    if (!verified) throw new SnapError(401, '4015600', 'Unauthorized. Invalid Signature');
    // Which signature and which body form DOKU uses is to be confirmed at onboarding: say which matched.
    this.verifiedForms.inc({ signature: verified.kind, body: verified.body });
    logger.debug(`DOKU notification verified with the ${verified.kind} signature over the ${verified.body} body`);

    const fields = parseNotification(rawBody);
    if (!fields) throw new SnapError(400, '4005601', 'Invalid Field Format');
    return { signatureKind: verified.kind, rawBody, externalId: header('x-external-id') ?? null, fields };
  }

  /**
   * The exact bytes first; then the canonical minified form (whitespace outside strings removed),
   * which is what DOKU's own libraries sign even when the body travels pretty-printed. Each with
   * the symmetric form, then the asymmetric one.
   */
  private check(
    rawBody: string,
    timestamp: string,
    signature: string,
    bearer: string,
  ): { kind: NotificationSignatureKind; body: 'exact' | 'minified' } | undefined {
    const path = this.config.doku.notificationPath;
    const check = (body: string): NotificationSignatureKind | undefined => {
      const symmetric = (clientSecret: string) =>
        verifyNotificationSymmetric({ path, bearerToken: bearer, rawBody: body, timestamp, signature, clientSecret });
      if (this.clientSecrets.some(symmetric)) return 'symmetric';
      const asymmetric = (dokuPublicKey: KeyObject) =>
        verifyNotificationAsymmetric({ path, rawBody: body, timestamp, signature, dokuPublicKey });
      if (this.dokuPublicKeys.some(asymmetric)) return 'asymmetric';
      return undefined;
    };
    const exact = check(rawBody);
    if (exact) return { kind: exact, body: 'exact' };
    const minified = minifyJson(rawBody);
    if (minified === rawBody) return undefined;
    const kind = check(minified);
    return kind ? { kind, body: 'minified' } : undefined;
  }
}

export interface NotificationFields {
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  latestTransactionStatus: string;
}

/** The few fields we read; everything else stays in the stored raw body. */
function parseNotification(rawBody: string): NotificationFields | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody) as unknown;
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const o = parsed as Record<string, unknown>;
  const ref = (v: unknown) => v === undefined || (typeof v === 'string' && v.length <= 64);
  if (!ref(o.originalPartnerReferenceNo) || !ref(o.originalReferenceNo)) return undefined;
  if (typeof o.latestTransactionStatus !== 'string' || !/^\d{2}$/.test(o.latestTransactionStatus)) return undefined;
  if (o.originalPartnerReferenceNo === undefined && o.originalReferenceNo === undefined) return undefined;
  return {
    originalPartnerReferenceNo: o.originalPartnerReferenceNo as string | undefined,
    originalReferenceNo: o.originalReferenceNo as string | undefined,
    latestTransactionStatus: o.latestTransactionStatus,
  };
}
