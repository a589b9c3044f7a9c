import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { createHash, KeyObject } from 'node:crypto';
import { AppConfigService } from '../config/app-config.service';
import { parsePublicKey, verifyNotificationAsymmetric, verifyNotificationSymmetric } from '../integrations/doku/doku-signature';
import { PurchaseStatusService } from '../purchase/purchase-status.service';
import { PurchasesRepository } from '../purchase/purchases.repository';
import { NotificationSignatureKind } from './entities/doku-notification.entity';
import { NotificationTokenService, withinWindow } from './notification-token.service';
import { NotificationsRepository } from './notifications.repository';
import { SnapError } from './snap-error';

export interface IncomingNotification {
  headers: Record<string, string | string[] | undefined>;
  /** The bytes as received: the signature covers exactly these (§2.5, §2.10). */
  rawBody: Buffer | undefined;
}

export interface SnapAcknowledgement {
  responseCode: string;
  responseMessage: string;
}

// Never stored: they authenticate the request and are of no use afterwards.
const SECRET_HEADERS = new Set(['authorization', 'authorization-customer', 'x-signature', 'cookie']);

const logger = new Logger('DokuNotifications');

/**
 * Notifications processed at once; the others wait their turn in arrival order (they are stored
 * already). Processing is a hint that can wait, the acknowledgement is what DOKU times: a burst
 * must not take the CPU and the database pool from the acknowledgements of the next notifications.
 */
const PROCESSING_CONCURRENCY = 4;

/**
 * The notify endpoint of §2.8: verify (our token, then the HMAC form, then the RSA form), store
 * before acknowledging, acknowledge, and only then process: a notification is a hint, confirmed
 * with Query Purchase and applied through the state machine, so a forged, replayed or out-of-order
 * notification can never move a state by itself.
 */
@Injectable()
export class NotificationsService implements OnModuleDestroy {
  private readonly dokuPublicKey: KeyObject;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiting: Array<{ id: string; partnerReferenceNo: string | null }> = [];

  constructor(
    private readonly repository: NotificationsRepository,
    private readonly tokens: NotificationTokenService,
    private readonly purchases: PurchasesRepository,
    private readonly status: PurchaseStatusService,
    private readonly config: AppConfigService,
  ) {
    this.dokuPublicKey = parsePublicKey(config.doku.dokuPublicKeyPem);
  }

  async receive(input: IncomingNotification): Promise<SnapAcknowledgement> {
    const header = (name: string): string | undefined => {
      const value = input.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const authorization = header('authorization');
    const bearer = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : undefined;
    if (!bearer || !(await this.tokens.isLive(bearer))) throw new SnapError(401, '4015601', 'Invalid Token (B2B)');

    const timestamp = header('x-timestamp');
    const signature = header('x-signature');
    const rawBody = input.rawBody?.toString('utf8') ?? '';
    if (!withinWindow(timestamp) || !signature) throw new SnapError(401, '4015600', 'Unauthorized. Invalid Signature');
    const kind = this.verify(rawBody, timestamp as string, signature, bearer);
    if (!kind) throw new SnapError(401, '4015600', 'Unauthorized. Invalid Signature');
    // §2.8 step 4: which form DOKU uses is to be confirmed at onboarding; say which one matched.
    logger.debug(`DOKU notification verified with the ${kind} signature`);

    const body = parseNotification(rawBody);
    if (!body) throw new SnapError(400, '4005601', 'Invalid Field Format');
    const externalId = header('x-external-id') ?? null;
    const partnerReferenceNo = body.originalPartnerReferenceNo ?? null;
    const dedupeKey = createHash('sha256')
      .update(`${partnerReferenceNo ?? ''}|${body.originalReferenceNo ?? ''}|${body.latestTransactionStatus}|${externalId ?? ''}`)
      .digest('hex');
    const id = await this.repository.storeOnce({
      dedupeKey,
      partnerReferenceNo,
      dokuReferenceNo: body.originalReferenceNo ?? null,
      latestTransactionStatus: body.latestTransactionStatus,
      externalId,
      signatureKind: kind,
      rawBody,
      headers: storableHeaders(input.headers),
    });
    // A replay of a stored delivery is acknowledged again and changes nothing.
    if (id) this.processLater(id, partnerReferenceNo);
    return { responseCode: '2005600', responseMessage: 'Successful' };
  }

  /** Lets processing (of every notification received) finish before the database goes away. */
  async onModuleDestroy(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private verify(rawBody: string, timestamp: string, signature: string, bearer: string): NotificationSignatureKind | undefined {
    const path = this.config.doku.notificationPath;
    if (verifyNotificationSymmetric({ path, bearerToken: bearer, rawBody, timestamp, signature, clientSecret: this.config.doku.clientSecret })) {
      return 'symmetric';
    }
    if (verifyNotificationAsymmetric({ path, rawBody, timestamp, signature, dokuPublicKey: this.dokuPublicKey })) return 'asymmetric';
    return undefined;
  }

  private processLater(id: string, partnerReferenceNo: string | null): void {
    this.waiting.push({ id, partnerReferenceNo });
    this.startWaiting();
  }

  private startWaiting(): void {
    while (this.inFlight.size < PROCESSING_CONCURRENCY && this.waiting.length > 0) {
      const { id, partnerReferenceNo } = this.waiting.shift()!;
      const job: Promise<void> = this.process(id, partnerReferenceNo)
        .catch((error: unknown) => {
          // Left unprocessed: the status endpoint and the reconciler query DOKU anyway.
          logger.warn(`Notification ${id} not processed: ${(error as Error).message}`);
        })
        .finally(() => {
          this.inFlight.delete(job);
          this.startWaiting();
        });
      this.inFlight.add(job);
    }
  }

  private async process(id: string, partnerReferenceNo: string | null): Promise<void> {
    const purchase = partnerReferenceNo ? await this.purchases.findByPartnerReference(partnerReferenceNo) : null;
    if (!purchase) {
      await this.repository.markProcessed(id, 'no purchase with this reference');
      return;
    }
    const status = await this.status.confirm(purchase);
    await this.repository.markProcessed(id, `confirmed by Query Purchase: ${status}`);
  }
}

interface NotificationFields {
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  latestTransactionStatus: string;
}

/** The few fields we read; everything else stays in the stored raw body. */
function parseNotification(rawBody: string): NotificationFields | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
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

function storableHeaders(headers: IncomingNotification['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (SECRET_HEADERS.has(name.toLowerCase()) || value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
