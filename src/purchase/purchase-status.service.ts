import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfigService } from '../config/app-config.service';
import { amountOrThrow } from '../integrations/doku/snap/doku-mapper';
import { DokuResponseError } from '../integrations/doku/snap/doku.errors';
import { CheckoutCallError } from '../integrations/doku/checkout/checkout.errors';
import type { PurchaseStatus, RefundLine } from '../integrations/doku/snap/payment.types';
import { TransactionResolverRegistry } from '../transactions/transaction-resolver.registry';
import { captureDokuOutcome } from '../transactions/doku-outcome';
import { Transaction } from '../transactions/entities/transaction.entity';
import { graceStartsAt, longestCallMs } from '../transactions/not-found-grace';
import { payableUntilOf } from '../transactions/payable-until';
import { canTransition, isUnresolved } from '../transactions/transaction-state';
import type { SettlementEvidence, TransactionStatus } from '../transactions/transaction-state';
import { TransactionsRepository } from '../transactions/transactions.repository';
import type { TransitionPatch } from '../transactions/transactions.repository';
import { bind, returningRows } from '../common/database/sql';
import { PurchasesRepository } from './purchases.repository';
import { purchaseReferenceOf, purchaseRefundOf } from './purchase-refund';
import { PurchaseChannels } from './channels/purchase-channels';
import { ExpiredPurchaseCancels, isExpiryCancel } from './expired-purchase-cancels.service';

/**
 * How long DOKU may not know a purchase (or refund) we sent before we call it failed: a not-found
 * counts only after a grace period (docs/doku-integration.md#uncertain-outcomes). Before that, a
 * not-found may just be DOKU lagging.
 * `RECONCILER_NOT_FOUND_GRACE_MS` overrides it.
 */
export const NOT_FOUND_GRACE_MS = 120_000;

/** What Query Purchase told us, or nothing usable. */
type QueryAnswer = { kind: 'found'; body: PurchaseStatus } | { kind: 'notFound' };

export interface PurchaseWithChildren {
  purchase: Transaction;
  children: Transaction[];
}

const logger = new Logger('PurchaseStatus');

/**
 * A write done in the statement that closes a confirmation (PurchaseStatusService.confirm): a CTE,
 * named anything but `asked`, binding its values into `params`; `status` is the SQL expression of
 * the status the purchase ends in.
 */
export type SameStatementWrite = (params: unknown[], status: string) => string;

/**
 * Settles purchases, and their refunds and cancels, from DOKU's truth: Query Purchase and
 * its `refundHistory`, applied through the forward-only state machine. Used by the status
 * endpoints, the PAY_RETURN redirect, notifications and the reconciler; it never sends a debit.
 */
@Injectable()
export class PurchaseStatusService implements OnModuleInit {
  private readonly disagreements: Counter<'ours' | 'doku'>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly channels: PurchaseChannels,
    private readonly transactions: TransactionsRepository,
    private readonly purchases: PurchasesRepository,
    private readonly resolvers: TransactionResolverRegistry,
    private readonly config: AppConfigService,
    private readonly expiredCancels: ExpiredPurchaseCancels,
    metrics: MetricsService,
  ) {
    this.disagreements = new Counter({
      name: 'doku_settled_status_disagreements_total',
      help: "DOKU answers that contradict a purchase settled with us (flagged for the back office), by our status and DOKU's",
      labelNames: ['ours', 'doku'] as const,
      registers: [metrics.registry],
    });
  }

  /** The reconciler settles unresolved purchases, refunds and cancels through this service too. */
  onModuleInit(): void {
    for (const type of ['PURCHASE', 'REFUND', 'CANCEL'] as const) {
      this.resolvers.register(type, (transaction) => this.resolveTransaction(transaction));
    }
  }

  /**
   * Asks DOKU when the purchase or one of its refunds/cancels is still unresolved, applies the
   * answer, and gives the purchase and its children as they now are. With `poll` (a customer's app
   * or browser asking), DOKU is asked only if no one has asked within STATUS_QUERY_MIN_INTERVAL_MS.
   */
  async refresh(purchase: Transaction, options: { recover?: boolean; poll?: boolean } = {}): Promise<PurchaseWithChildren> {
    const children = await this.purchases.findChildren(purchase.id);
    const unresolved = isUnresolved(purchase.status) || children.some((c) => isUnresolved(c.status));
    if (!unresolved) return { purchase, children };
    // A customer's poll asks DOKU only when nobody has within the interval; otherwise it reads our
    // record, which notifications and the reconciler keep up to date.
    if (options.poll === true && !(await this.purchases.claimStatusQuery(purchase.id, this.config.reconciliation.statusQueryIntervalMs))) {
      // Someone asked within the interval: read our record again, which may have been settled since.
      const fresh = (await this.purchases.findById(purchase.id)) ?? purchase;
      return { purchase: fresh, children: await this.purchases.findChildren(purchase.id) };
    }
    const answer = await this.query(purchase);
    const missing = answer ? await this.db.transaction((tx) => this.apply(tx, purchase.id, answer)) : [];
    // The reconciler's answer is in our record now: the polls of the next interval read it.
    if (options.poll !== true) await this.purchases.markStatusAsked(purchase.id);
    if (options.recover === true) {
      for (const refund of missing) await this.resendRefund(purchase, refund);
    }
    let fresh = (await this.purchases.findById(purchase.id)) ?? purchase;
    if (options.recover === true && answer?.kind === 'found' && answer.body.status === 'PENDING') {
      // Still waiting after its PIN page closed: canceled at DOKU (docs/customer-pages.md#expiry).
      await this.expiredCancels.cancelIfDue(fresh, this.notFoundGraceMs());
      fresh = (await this.purchases.findById(purchase.id)) ?? fresh;
    }
    return { purchase: fresh, children: await this.purchases.findChildren(purchase.id) };
  }

  /**
   * A notification's confirmation: Query Purchase and apply the answer, whatever our state, and
   * give the status the purchase ends in. Reads nothing the caller does not need (a notification
   * burst must leave the database and the CPU to the acknowledgements). When DOKU's answer settles
   * nothing (an error, a timeout, a refused token), it throws: the notification is not confirmed,
   * and its processor tries it again later instead of closing it unconfirmed. `inSameStatement`
   * is the caller's own write, done in the statement that records when DOKU was asked, so in the
   * commit that applies the answer (the notification is closed with it: one commit, and never one
   * without the other). It gets the statement's parameters and the SQL expression of the status
   * the purchase ends in, and gives a CTE.
   */
  async confirm(purchase: Transaction, inSameStatement?: SameStatementWrite): Promise<Transaction['status']> {
    const answer = await this.query(purchase);
    if (!answer) throw new Error(`Query Purchase for ${purchase.id} settled nothing; the notification is tried again`);
    return this.db.transaction(async (tx) => {
      await this.apply(tx, purchase.id, answer);
      // Applied in this commit: the polls of the next interval read it instead of asking again.
      const params: unknown[] = [];
      const asked = `asked AS (UPDATE transactions SET status_asked_at = now() WHERE id = ${bind(params, purchase.id)}::uuid RETURNING status)`;
      const status = `COALESCE((SELECT status FROM asked), ${bind(params, purchase.status)})`;
      const also = inSameStatement ? `, ${inSameStatement(params, status)}` : '';
      // A SELECT without FROM: always one row, its status never null.
      const [row] = await returningRows<{ status: Transaction['status'] }>(tx, `WITH ${asked}${also} SELECT ${status} AS status`, params);
      return row.status;
    });
  }

  /**
   * For the reconciler: any purchase, refund or cancel, resolved through its purchase. Only here
   * (on the reconciler's schedule, never on a customer's poll) is a refund that DOKU's answer
   * leaves out sent again with its own identifiers.
   */
  async resolveTransaction(transaction: Transaction): Promise<void> {
    const purchase =
      transaction.type === 'PURCHASE' ? transaction : transaction.parentId ? await this.purchases.findById(transaction.parentId) : null;
    if (purchase) await this.refresh(purchase, { recover: true });
  }

  /**
   * A refund that Query Purchase leaves out after the grace period: either DOKU never received it,
   * or its answers do not list refunds (`refundHistory` is optional). Both are settled safely by
   * sending the same refund again, with the same partnerRefundNo: DOKU deduplicates refunds on it
   * (docs/money-rules.md), so a refund it already has comes back as a duplicate and one it never
   * had is applied now, once. Only DOKU's success settles the refund here; any other answer, a
   * decline included, leaves it unresolved (a decline of a second send says nothing certain about
   * the first), and after the last scheduled check the back office decides. The reservation is
   * never released on silence.
   */
  private async resendRefund(purchase: Transaction, refund: Transaction): Promise<void> {
    if (!(await this.transactions.claimSendAgain(refund.id, this.notFoundGraceMs()))) return;
    const outcome = await captureDokuOutcome(() => this.channels.of(purchase).refund(purchaseRefundOf(purchase, refund)));
    if (outcome.kind !== 'ok') {
      logger.warn(
        `Refund ${refund.id} sent again: DOKU's answer settles nothing (${outcome.responseCode ?? (outcome.error as { code?: string }).code ?? outcome.error.name})`,
      );
      return;
    }
    await this.db.transaction(async (tx) => {
      // The purchase row first, then the refund: the lock order of every money path.
      await this.purchases.lockForUpdate(tx, purchase.id, undefined);
      const moved = await this.transactions.transition(tx, refund.id, 'SUCCESS', 'doku-response-to-resend', 'doku-success', {
        dokuExternalId: outcome.result.externalId ?? null,
        dokuReferenceNo: outcome.result.body.refundNo ?? null,
        dokuResponseCode: outcome.result.responseCode,
      });
      if (moved.changed) await this.transactions.settleRefundReservation(tx, purchase.id, refund.amount, true);
    });
  }

  /**
   * The status query of the purchase's channel: Query Purchase for the wallet (`DokuPurchases.status`
   * asks again with DOKU's other service code), DANA's status query for DANA; each asks again without
   * our stored X-EXTERNAL-ID before "not found" counts (it may not be the one DOKU saw).
   */
  private async query(purchase: Transaction): Promise<QueryAnswer | undefined> {
    const outcome = await captureDokuOutcome(() => this.channels.of(purchase).status(purchaseReferenceOf(purchase)));
    if (outcome.kind === 'ok') return { kind: 'found', body: outcome.result.body };
    if (outcome.kind === 'rejected' && outcome.error instanceof DokuResponseError && outcome.error.kind === 'NOT_FOUND') {
      return { kind: 'notFound' };
    }
    // The e-Wallet checkout's status query (non-SNAP): a 404 is its "not found".
    if (outcome.kind === 'rejected' && outcome.error instanceof CheckoutCallError && outcome.error.kind === 'NOT_FOUND') {
      return { kind: 'notFound' };
    }
    logger.warn(`Query Purchase for ${purchase.id} settled nothing: ${(outcome.error as { code?: string }).code ?? outcome.error.name}`);
    return undefined;
  }

  /**
   * Applies one Query Purchase answer to the purchase and its unresolved refunds and cancels.
   * Gives the refunds that the answer leaves out although the grace period is over.
   */
  private async apply(tx: EntityManager, purchaseId: string, answer: QueryAnswer): Promise<Transaction[]> {
    // The purchase row first, then its refunds and cancels: the lock order of every money path.
    const purchase = await this.purchases.lockForUpdate(tx, purchaseId, undefined);
    if (!purchase) return [];
    const children = await this.purchases.findChildren(purchaseId, tx);
    const now = Date.now();
    const grace = this.notFoundGraceMs();
    // The grace counts from when our last call about the operation ended (graceStartsAt); the
    // outcomes are read only when an operation is past the grace from its creation.
    const callBoundMs = longestCallMs(this.config.doku.timeoutMs);
    let outcomes: Map<string, Date> | undefined;
    const pastGrace = async (t: Transaction): Promise<boolean> => {
      if (now - t.createdAt.getTime() < grace) return false;
      outcomes ??= await this.transactions.lastCallOutcomes(tx, [purchase.id, ...children.map((c) => c.id)]);
      return now - graceStartsAt(t, outcomes.get(t.id), callBoundMs) >= grace;
    };

    const doku = answer.kind === 'found' ? answer.body.status : 'NOT_FOUND';
    const body = answer.kind === 'found' ? answer.body : undefined;
    const code = body?.statusCode ?? 'not found';
    // The cause is the status query; DOKU's status code goes into the event's details.
    const cause = 'status-query';
    const eventDetails = { statusCode: code };
    // The purchase is locked and read as it is: a move its status does not allow changes nothing,
    // so it is not sent (a settled purchase's next notification costs no write).
    const move = (to: TransactionStatus, evidence: SettlementEvidence, patch: TransitionPatch) =>
      canTransition(purchase.status, to) ? this.transactions.transition(tx, purchase.id, to, cause, evidence, patch) : undefined;

    switch (doku) {
      case 'SUCCESS':
      case 'REFUNDED':
        await move('SUCCESS', 'doku-reported', {
          eventDetails,
          dokuReferenceNo: body?.referenceNo ?? purchase.dokuReferenceNo,
          // DOKU's own record of the X-EXTERNAL-ID that created the purchase, when it gives one.
          dokuExternalId: body?.externalId !== undefined && /^[0-9A-Za-z-]{1,64}$/.test(body.externalId) ? body.externalId : null,
          details: {
            ...(body?.paidTime ? { paidTime: body.paidTime } : {}),
            ...(body?.approvalCode ? { approvalCode: body.approvalCode } : {}),
          },
        });
        break;
      case 'CANCELED':
        await move('CANCELED', 'doku-reported', {
          eventDetails,
          // Canceled by the cancel its expiry sent: for the customer, the time to pay ran out.
          ...(children.some(isExpiryCancel) ? { failureCode: 'PURCHASE.EXPIRED' } : {}),
        });
        break;
      case 'FAILED':
        await move('FAILED', 'doku-reported', {
          eventDetails,
          // DOKU failed it once its PIN page had closed: the customer never paid in time.
          failureCode: now >= (payableUntilOf(purchase) ?? Infinity) ? 'PURCHASE.EXPIRED' : 'DOKU.REJECTED',
          details: { dokuStatus: body?.statusDescription ?? code },
        });
        break;
      case 'NOT_FOUND':
        // Not found means failed only once DOKU has had time to know it, and only because a
        // purchase DOKU does not know cannot have been paid (settlementAllowed).
        if (isUnresolved(purchase.status) && (await pastGrace(purchase))) {
          await move('FAILED', 'doku-not-found', {
            eventDetails: { ...eventDetails, afterGracePeriod: true },
            failureCode: 'DOKU.NOT_FOUND',
          });
        }
        break;
      case 'PENDING':
        // DOKU has it and it is still in progress: no longer unknown.
        if (purchase.status === 'UNKNOWN') await move('PENDING', 'doku-reported', { eventDetails });
        break;
    }

    if (contradictsSettled(purchase.status, doku)) {
      // Never moved back by the state machine: the back office decides (docs/money-rules.md#when-doku-disagrees-with-a-settled-purchase).
      if (await this.purchases.noteDokuDisagreement(tx, purchase.id, doku)) {
        this.disagreements.inc({ ours: purchase.status, doku });
        logger.warn(
          `Purchase ${purchase.id} is ${purchase.status} with us but DOKU reports ${doku} (${code}): flagged for the back office`,
        );
      }
    }

    // refundHistory is optional in DOKU's answers: its absence says nothing about any refund.
    const history = body?.refunds ?? [];
    const missing: Transaction[] = [];
    for (const child of children.filter((c) => isUnresolved(c.status))) {
      if (child.type === 'REFUND' && !(await this.applyRefund(tx, child, history)) && (await pastGrace(child))) missing.push(child);
      if (child.type === 'CANCEL') await this.applyCancel(tx, child, doku, await pastGrace(child));
    }
    return missing;
  }

  private notFoundGraceMs(): number {
    return this.config.reconciliation.notFoundGraceMs ?? NOT_FOUND_GRACE_MS;
  }

  /**
   * A refund is settled by its line in `refundHistory`, matched on our partnerRefundNo.
   * Gives false when the answer has no line for it: that settles nothing (the caller may send the
   * refund again, see resendRefund).
   */
  private async applyRefund(tx: EntityManager, refund: Transaction, history: RefundLine[]): Promise<boolean> {
    const line = history.find((h) => h.partnerRefundNo === refund.partnerReferenceNo);
    if (!line) return false;
    // An amount DOKU sent but we cannot read confirms nothing: the answer is refused.
    const listed = amountOrThrow(line.amount);
    if (listed !== undefined && listed !== refund.amount) {
      logger.warn(`Refund ${refund.id}: DOKU lists another amount; left for the back office`);
      return true;
    }
    const status = line.status;
    if (status === 'SUCCESS') {
      const moved = await this.transactions.transition(tx, refund.id, 'SUCCESS', 'status-query', 'doku-reported', {
        eventDetails: { refundHistoryStatus: '00' },
        dokuReferenceNo: line.refundNo ?? null,
      });
      if (moved.changed && refund.parentId) await this.transactions.settleRefundReservation(tx, refund.parentId, refund.amount, true);
    } else if (status === 'FAILED') {
      const moved = await this.transactions.transition(tx, refund.id, 'FAILED', 'status-query', 'doku-reported', {
        eventDetails: { refundHistoryStatus: '06' },
        failureCode: 'DOKU.REJECTED',
      });
      if (moved.changed && refund.parentId) await this.transactions.settleRefundReservation(tx, refund.parentId, refund.amount, false);
    } else if (status === 'PENDING' && refund.status === 'UNKNOWN') {
      await this.transactions.transition(tx, refund.id, 'PENDING', 'status-query', 'doku-reported', {
        eventDetails: { refundHistoryStatus: '03' },
      });
    }
    return true;
  }

  /** A cancel is settled by the purchase's own status: 05 means it happened. */
  private async applyCancel(tx: EntityManager, cancel: Transaction, doku: string, pastGrace: boolean): Promise<void> {
    if (doku === 'CANCELED') {
      await this.transactions.transition(tx, cancel.id, 'SUCCESS', 'status-query', 'doku-reported', {
        eventDetails: { purchaseStatus: doku },
      });
    } else if (pastGrace && (doku === 'SUCCESS' || doku === 'REFUNDED' || doku === 'FAILED' || doku === 'NOT_FOUND')) {
      await this.transactions.transition(
        tx,
        cancel.id,
        'FAILED',
        'status-query',
        doku === 'NOT_FOUND' ? 'doku-not-found' : 'doku-reported',
        {
          eventDetails: { purchaseStatus: doku, afterGracePeriod: true },
          failureCode: 'PURCHASE.NOT_CANCELABLE',
        },
      );
    }
  }
}

/**
 * DOKU's answer contradicts a purchase we settled, in a way the forward-only state machine cannot
 * follow: we failed or canceled it and DOKU says the customer paid (the customer's money is taken for
 * a purchase we refused), or we have it paid and DOKU says it failed (we may have delivered unpaid).
 * A canceled purchase DOKU still lists as refunded is no contradiction. Exported for its unit test.
 */
export function contradictsSettled(ours: TransactionStatus, doku: PurchaseStatus['status'] | 'NOT_FOUND'): boolean {
  if (ours === 'FAILED') return doku === 'SUCCESS' || doku === 'REFUNDED';
  if (ours === 'CANCELED') return doku === 'SUCCESS';
  if (ours === 'SUCCESS') return doku === 'FAILED';
  return false;
}
