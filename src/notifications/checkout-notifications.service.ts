import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppError } from '../common/errors/app-error';
import { AppConfigService } from '../config/app-config.service';
import { verifyCheckoutNotification } from '../integrations/doku/checkout/checkout-notification';
import { NotificationProcessor } from './notification-processor';
import { NotificationsRepository } from './notifications.repository';
import { storableHeaders } from './storable-headers';

export interface IncomingCheckoutNotification {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  rawBody: Buffer | undefined;
  /** The path of the route that received it: what DOKU signs as Request-Target. */
  path: string;
}

const logger = new Logger('DokuCheckoutNotifications');

/**
 * DOKU's notification of a checkout order (docs/channels.md#doku-e-wallet-checkout): verified with
 * the merchant's secret over the exact bytes received, stored once, acknowledged, and then applied
 * like every other notification (`NotificationProcessor`): a hint that the purchase's status query
 * confirms, so a replayed or misleading notification can never move a state by itself, and an
 * amount other than ours never marks a purchase paid.
 */
@Injectable()
export class CheckoutNotificationsService {
  constructor(
    private readonly repository: NotificationsRepository,
    private readonly processor: NotificationProcessor,
    private readonly config: AppConfigService,
  ) {}

  async receive(input: IncomingCheckoutNotification): Promise<{ received: true }> {
    const merchant = this.config.doku.checkout;
    if (!merchant) throw new AppError('REQUEST.NOT_FOUND', 'No such route');
    const rawBody = input.rawBody ?? Buffer.alloc(0);
    const verdict = verifyCheckoutNotification({
      headers: input.headers,
      rawBody,
      targetPath: input.path,
      clientId: merchant.clientId,
      secretKey: merchant.secretKey,
      now: new Date(),
    });
    if (!verdict.ok) {
      if (verdict.reason === 'BAD_BODY') throw new AppError('REQUEST.MALFORMED', 'The notification is not an order result');
      logger.warn(`Checkout notification refused: ${verdict.reason}`);
      throw new AppError('DOKU.INVALID_SIGNATURE', 'The notification could not be verified');
    }
    const { outcome, requestId } = verdict;
    const body = rawBody.toString('utf8');
    // A retry of a delivery may come with a new Request-Id: the content names the delivery, so a
    // retry or a replay of the same result is stored once and changes nothing more.
    const dedupeKey = createHash('sha256')
      .update(`checkout|${outcome.invoiceNumber ?? ''}|${outcome.statusWord ?? ''}|${createHash('sha256').update(rawBody).digest('hex')}`)
      .digest('hex');
    const keepHere = this.processor.hasRoom();
    const stored = await this.repository.storeOnce(
      {
        dedupeKey,
        partnerReferenceNo: outcome.invoiceNumber,
        dokuReferenceNo: null,
        latestTransactionStatus: outcome.statusWord,
        externalId: requestId,
        signatureKind: 'checkout',
        rawBody: body,
        headers: storableHeaders(input.headers),
      },
      keepHere ? this.config.notifications.leaseSeconds : null,
    );
    if (stored)
      this.processor.stored(stored, keepHere, { partnerReferenceNo: outcome.invoiceNumber, reportedStatus: outcome.statusWord ?? null });
    return { received: true };
  }
}
