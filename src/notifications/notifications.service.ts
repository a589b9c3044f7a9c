import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Failpoints } from '../common/failpoints';
import { AppConfigService } from '../config/app-config.service';
import { minifyJson } from './json-minify';
import { NotificationProcessor } from './notification-processor';
import { NotificationVerifier } from './notification-verifier';
import type { IncomingNotification } from './notification-verifier';
import { NotificationsRepository } from './notifications.repository';
import { SnapError } from './snap-error';
import { storableHeaders } from './storable-headers';

export interface SnapAcknowledgement {
  responseCode: string;
  responseMessage: string;
}

/**
 * The notify endpoint's answer to DOKU (docs/doku-integration.md#notifications): verified
 * (`NotificationVerifier`), stored once before acknowledging, acknowledged, and only then applied
 * (`NotificationProcessor`, which confirms with Query Purchase).
 */
@Injectable()
export class NotificationsService {
  private readonly failpoints: Failpoints;

  constructor(
    private readonly verifier: NotificationVerifier,
    private readonly processor: NotificationProcessor,
    private readonly repository: NotificationsRepository,
    private readonly config: AppConfigService,
  ) {
    this.failpoints = new Failpoints(config.app.failpoints);
  }

  async receive(input: IncomingNotification): Promise<SnapAcknowledgement> {
    const { signatureKind, rawBody, externalId, fields: body } = await this.verifier.verify(input);
    const partnerReferenceNo = body.originalPartnerReferenceNo ?? null;
    // One delivery per X-EXTERNAL-ID: DOKU resending the same delivery is acknowledged and changes
    // nothing. Without one, the content names the delivery.
    const dedupeKey = createHash('sha256')
      .update(
        externalId
          ? `x-external-id|${externalId}`
          : `${partnerReferenceNo ?? ''}|${body.originalReferenceNo ?? ''}|${body.latestTransactionStatus}|`,
      )
      .digest('hex');
    const keepHere = this.processor.hasRoom();
    const stored = await this.repository.storeOnce(
      {
        dedupeKey,
        partnerReferenceNo,
        dokuReferenceNo: body.originalReferenceNo ?? null,
        latestTransactionStatus: body.latestTransactionStatus,
        externalId,
        signatureKind,
        rawBody,
        headers: storableHeaders(input.headers),
      },
      keepHere ? this.config.notifications.leaseSeconds : null,
    );
    if (!stored && externalId) {
      // The same X-EXTERNAL-ID again: a replay of that delivery, unless its content differs, which
      // is not a replay and must not be acknowledged as one (nothing is stored; DOKU may retry).
      const storedBody = await this.repository.rawBodyOf(dedupeKey);
      if (storedBody !== undefined && minifyJson(storedBody) !== minifyJson(rawBody)) {
        throw new SnapError(409, '4095600', 'Conflict: X-EXTERNAL-ID already used for another notification');
      }
    }
    this.failpoints.hit('notification.after-store');
    // A replay of a stored delivery is acknowledged again and changes nothing.
    if (stored) this.processor.stored(stored, keepHere, { partnerReferenceNo, reportedStatus: body.latestTransactionStatus });
    return { responseCode: '2005600', responseMessage: 'Successful' };
  }
}
