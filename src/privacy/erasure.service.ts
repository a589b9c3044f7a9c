import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { hashPassword, randomSecret } from '../common/crypto/hashing';
import { PrincipalCache } from '../common/auth/principal-cache';
import { WalletBindingService } from '../accounts/wallet-binding.service';
import { ExchangeRecorderService } from '../integrations/doku/snap/exchange-recorder.service';
import { OutboxRepository } from '../outbox/outbox.repository';
import type { DataSubjectErasure, ErasureRequesterKind } from './entities/data-subject-erasure.entity';
import { erasureAuditFacts } from './erasure-audit';
import { scrubJson, scrubText, searchableValues } from './personal-data';
import { PrivacyRepository } from './privacy.repository';
import type { AuditActor } from '../audit/audit-chain';
import { AuditTrail } from '../audit/audit-trail.service';

export interface ErasureRequester {
  kind: ErasureRequesterKind;
  id: string;
  /** The support ticket an admin acts on. */
  ticket: string | null;
  /** Who asked and from where, for the audit trail. */
  actor: AuditActor;
}

export type ErasureOutcome =
  { status: 'ERASED'; erasure: DataSubjectErasure } | { status: 'AWAITING_UNBINDING_OTP'; erasure: DataSubjectErasure };

const logger = new Logger('ErasureService');

/**
 * Erasure on request (docs/privacy.md#erasure). In order:
 * 1. refused (409 PRIVACY.MONEY_UNRESOLVED) while any of the user's money is PENDING, UNKNOWN,
 *    waiting for the back office, or still being requested;
 * 2. the DOKU binding is ended through the app's own unbinding (WalletBindingService): DOKU usually
 *    confirms it with an OTP sent to the user's phone, so the request then waits
 *    (AWAITING_UNBINDING_OTP) until the same route is called again with that OTP;
 * 3. in one database transaction, with the user row locked (new money of the user waits on it), the
 *    checks again, then every personal field is removed or replaced, the account closed, and the
 *    erasure recorded. Money records keep their amounts, references, dates and statuses.
 */
@Injectable()
export class ErasureService {
  constructor(
    private readonly repo: PrivacyRepository,
    private readonly bindings: WalletBindingService,
    private readonly outbox: OutboxRepository,
    private readonly principals: PrincipalCache,
    private readonly exchanges: ExchangeRecorderService,
    private readonly audit: AuditTrail,
  ) {}

  async erase(userId: string, requester: ErasureRequester, otp?: string): Promise<ErasureOutcome> {
    const pre = await this.repo.transaction(async (tx) => {
      const user = await this.repo.lockUser(tx, userId);
      if (!user) throw new AppError('USER.NOT_FOUND', 'User not found');
      const done = await this.repo.completedErasure(tx, userId);
      if (done) throw new AppError('PRIVACY.ALREADY_ERASED', "This user's personal data has already been erased", { erasureId: done.id });
      await this.assertMoneyResolved(tx, userId);
      return { binding: await this.repo.liveBindingStatus(tx, userId) };
    });

    if (pre.binding === 'UNBINDING' && otp !== undefined) {
      await this.bindings.confirmUnbindOtp(userId, otp);
    } else if (pre.binding !== null) {
      // ACTIVE, or UNBINDING without the OTP (lost or expired): ask DOKU to unbind, which sends a new OTP.
      const answer = await this.bindings.unbind(userId);
      if (answer.status !== 'UNBOUND') {
        const waiting = await this.repo.transaction(
          async (tx) =>
            (await this.repo.erasureAwaitingOtp(tx, userId)) ??
            this.repo.recordRequest(tx, { userId, requestedByKind: requester.kind, requestedBy: requester.id, ticket: requester.ticket }),
        );
        return { status: 'AWAITING_UNBINDING_OTP', erasure: waiting };
      }
    }

    // DOKU exchange records are stored in the background: the unbinding's (and any other recent
    // call's) must be in the table before it is cleaned.
    await this.exchanges.flush();
    const erasure = await this.repo.transaction(async (tx) => {
      const user = await this.repo.lockUser(tx, userId);
      if (!user) throw new AppError('USER.NOT_FOUND', 'User not found');
      if (await this.repo.completedErasure(tx, userId)) throw new AppError('PRIVACY.ALREADY_ERASED', 'Already erased');
      await this.assertMoneyResolved(tx, userId);
      if ((await this.repo.liveBindingStatus(tx, userId)) !== null) {
        throw new AppError('PRIVACY.WALLET_STILL_BOUND', 'The DOKU Wallet was bound again meanwhile: ask for the erasure again');
      }
      const values = searchableValues(await this.repo.personalValues(tx, userId));
      const refs = await this.repo.partnerReferences(tx, userId);
      const summary: Record<string, number> = {
        ...(await this.repo.eraseIdentity(tx, userId, user.email, await hashPassword(randomSecret('erased')))),
        ...(await this.repo.eraseWalletAndInquiries(tx, userId)),
      };
      const bump = (table: string) => (summary[table] = (summary[table] ?? 0) + 1);

      for (const doc of await this.repo.userJsonDocuments(tx, userId)) {
        const cleaned = scrubJson(doc.doc, values);
        if (cleaned.changed) {
          await this.repo.replaceJson(tx, doc.table, doc.id, cleaned.value);
          bump(`${doc.table}_json`);
        }
      }
      for (const event of await this.outbox.allOfUser(tx, userId)) {
        const cleaned = scrubJson(event.payload, values);
        if (cleaned.changed) {
          await this.outbox.replacePayload(tx, event.id, cleaned.value as Record<string, unknown>);
          bump('user_event_feed');
        }
      }
      for (const x of await this.repo.exchangesToClean(tx, refs, values)) {
        const request = scrubJson(x.request, values);
        const response = scrubJson(x.response, values);
        if (request.changed || response.changed) {
          await this.repo.replaceExchangeBodies(tx, x.id, request.value, response.value);
          bump('doku_exchanges');
        }
      }
      for (const n of await this.repo.notificationsToClean(tx, refs)) {
        const body = scrubRawBody(n.rawBody, values);
        const headers = scrubJson(n.headers, values);
        if (body !== n.rawBody || headers.changed) {
          await this.repo.replaceNotification(tx, n.id, body, headers.value);
          bump('doku_notifications');
        }
      }

      const recorded = await this.repo.recordCompletion(tx, {
        userId,
        requestedByKind: requester.kind,
        requestedBy: requester.id,
        ticket: requester.ticket,
        summary,
      });
      // The partner's own systems (webhooks, GET /v1/events) learn that they must erase their copies too.
      await this.outbox.append(tx, {
        type: 'user.erased',
        aggregateType: 'user',
        aggregateId: userId,
        userId,
        payload: { userId, erasureId: recorded.id, requestedBy: requester.kind, completedAt: recorded.completedAt?.toISOString() ?? null },
      });
      await this.audit.record(erasureAuditFacts(recorded, requester.actor), tx);
      return recorded;
    });
    // The database tells every instance at commit (principal_changes); this one forgets at once.
    this.principals.forget(`user:${userId}`);
    logger.log(`Erasure ${erasure.id} of user ${userId} completed (asked by ${requester.kind} ${requester.id})`);
    return { status: 'ERASED', erasure };
  }

  private async assertMoneyResolved(tx: EntityManager, userId: string): Promise<void> {
    const unresolved = await this.repo.unresolvedMoney(tx, userId);
    const inFlight = await this.repo.keysInFlight(tx, userId);
    if (unresolved.length > 0 || inFlight > 0) {
      throw new AppError(
        'PRIVACY.MONEY_UNRESOLVED',
        'Some of this user’s money is not settled yet (pending, unknown, being requested, or waiting for the back office): erasure is possible once it is',
        { transactions: unresolved, requestsInFlight: inFlight },
      );
    }
  }
}

/** A notification's raw body: cleaned as JSON when it is JSON (keeping its layout otherwise irrelevant), else as text. */
function scrubRawBody(raw: string, values: readonly string[]): string {
  try {
    const cleaned = scrubJson(JSON.parse(raw) as unknown, values);
    return cleaned.changed ? JSON.stringify(cleaned.value) : raw;
  } catch {
    return scrubText(raw, values);
  }
}
