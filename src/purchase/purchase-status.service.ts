import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfigService } from '../config/app-config.service';
import { fromOptionalSnapMoney } from '../integrations/doku/doku-mapper';
import { mapTransactionStatus } from '../integrations/doku/doku-response-codes';
import { QueryPurchaseRequest, QueryPurchaseResponse, SnapRefundHistoryItem } from '../integrations/doku/doku-wire.types';
import { DokuClient } from '../integrations/doku/doku.client';
import { DokuResponseError } from '../integrations/doku/doku.errors';
import { TransactionResolverRegistry } from '../reconciliation/transaction-resolver.registry';
import { captureDokuOutcome } from '../transactions/doku-outcome';
import { Transaction } from '../transactions/entities/transaction.entity';
import { isUnresolved } from '../transactions/transaction-state';
import { TransactionsRepository } from '../transactions/transactions.repository';
import { PurchasesRepository } from './purchases.repository';
import { refundPurchaseRequest } from './refund-purchase-request';

/**
 * How long DOKU may not know a purchase (or refund) we sent before we call it failed (§5.6: "a
 * not-found after a reasonable grace period"). Before that, a not-found may just be DOKU lagging.
 * `RECONCILER_NOT_FOUND_GRACE_MS` overrides it.
 */
export const NOT_FOUND_GRACE_MS = 120_000;

/** What Query Purchase told us, or nothing usable. */
type QueryAnswer = { kind: 'found'; body: QueryPurchaseResponse } | { kind: 'notFound' };

export interface PurchaseWithChildren {
  purchase: Transaction;
  children: Transaction[];
}

const logger = new Logger('PurchaseStatus');

/**
 * Settles purchases, and their refunds and cancels, from DOKU's truth: Query Purchase (§3.17) and
 * its `refundHistory`, applied through the forward-only state machine. Used by the status
 * endpoints, the PAY_RETURN redirect, notifications and the reconciler; it never sends a debit.
 */
@Injectable()
export class PurchaseStatusService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly doku: DokuClient,
    private readonly transactions: TransactionsRepository,
    private readonly purchases: PurchasesRepository,
    private readonly resolvers: TransactionResolverRegistry,
    private readonly config: AppConfigService,
  ) {}

  /** The reconciler settles unresolved purchases, refunds and cancels through this service too. */
  onModuleInit(): void {
    for (const type of ['PURCHASE', 'REFUND', 'CANCEL'] as const) {
      this.resolvers.register(type, (transaction) => this.resolveTransaction(transaction));
    }
  }

  /**
   * Asks DOKU when the purchase or one of its refunds/cancels is still unresolved, applies the
   * answer, and gives the purchase and its children as they now are.
   */
  async refresh(purchase: Transaction, options: { recover?: boolean } = {}): Promise<PurchaseWithChildren> {
    const children = await this.purchases.findChildren(purchase.id);
    const unresolved = isUnresolved(purchase.status) || children.some((c) => isUnresolved(c.status));
    if (!unresolved) return { purchase, children };
    const answer = await this.query(purchase);
    const missing = answer ? await this.db.transaction((tx) => this.apply(tx, purchase.id, answer)) : [];
    if (options.recover) {
      for (const refund of missing) await this.resendRefund(purchase, refund);
    }
    const fresh = (await this.purchases.findById(purchase.id)) ?? purchase;
    return { purchase: fresh, children: await this.purchases.findChildren(purchase.id) };
  }

  /**
   * A notification's confirmation: Query Purchase and apply the answer, whatever our state, and
   * give the status the purchase ends in. Reads nothing the caller does not need (a notification
   * burst must leave the database and the CPU to the acknowledgements).
   */
  async confirm(purchase: Transaction): Promise<Transaction['status']> {
    const answer = await this.query(purchase);
    if (!answer) return purchase.status;
    return this.db.transaction(async (tx) => {
      await this.apply(tx, purchase.id, answer);
      const rows: { status: Transaction['status'] }[] = await tx.query(`SELECT status FROM transactions WHERE id = $1`, [purchase.id]);
      return rows[0]?.status ?? purchase.status;
    });
  }

  /**
   * For the reconciler: any purchase, refund or cancel, resolved through its purchase. Only here
   * (on the reconciler's schedule, never on a customer's poll) is a refund that DOKU's answer
   * leaves out sent again with its own identifiers.
   */
  async resolveTransaction(transaction: Transaction): Promise<void> {
    const purchase = transaction.type === 'PURCHASE' ? transaction : transaction.parentId ? await this.purchases.findById(transaction.parentId) : null;
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
    const outcome = await captureDokuOutcome(() => this.doku.refundPurchase(refundPurchaseRequest(purchase, refund)));
    if (outcome.kind !== 'ok') {
      logger.warn(`Refund ${refund.id} sent again: DOKU's answer settles nothing (${outcome.responseCode ?? (outcome.error as { code?: string }).code ?? outcome.error.name})`);
      return;
    }
    await this.db.transaction(async (tx) => {
      // The purchase row first, then the refund: the lock order of every money path.
      await this.purchases.lockForUpdate(tx, purchase.id, undefined);
      const moved = await this.transactions.transition(tx, refund.id, 'SUCCESS', 'Refund Purchase sent again: succeeded', 'doku-success', {
        dokuExternalId: outcome.result.externalId ?? null,
        dokuReferenceNo: outcome.result.body.refundNo ?? null,
        dokuResponseCode: outcome.result.responseCode,
      });
      if (moved.changed) await this.transactions.settleRefundReservation(tx, purchase.id, refund.amount, true);
    });
  }

  private async query(purchase: Transaction): Promise<QueryAnswer | undefined> {
    const request: QueryPurchaseRequest = {
      // §3.17: SNAP asks for the original service code "54"; DOKU's Node SDK sends "55".
      serviceCode: '54',
      originalPartnerReferenceNo: purchase.partnerReferenceNo,
      ...(purchase.dokuReferenceNo ? { originalReferenceNo: purchase.dokuReferenceNo } : {}),
      ...(purchase.dokuExternalId ? { originalExternalId: purchase.dokuExternalId } : {}),
      additionalInfo: {},
    };
    let outcome = await captureDokuOutcome(() => this.doku.queryPurchase(request));
    if (outcome.kind === 'rejected' && outcome.error.code === 'DOKU.BAD_REQUEST') {
      outcome = await captureDokuOutcome(() => this.doku.queryPurchase({ ...request, serviceCode: '55' }));
    }
    if (outcome.kind === 'rejected' && outcome.error.code === 'DOKU.NOT_FOUND' && request.originalExternalId !== undefined) {
      // Our stored X-EXTERNAL-ID may not be the one DOKU saw (a process that died after a token
      // renewal never stored the new one): "not found" counts only without it.
      const { originalExternalId: _stale, ...withoutExternalId } = request;
      outcome = await captureDokuOutcome(() => this.doku.queryPurchase(withoutExternalId));
    }
    if (outcome.kind === 'ok') return { kind: 'found', body: outcome.result.body };
    if (outcome.kind === 'rejected' && outcome.error instanceof DokuResponseError && outcome.error.kind === 'NOT_FOUND') {
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
    const pastGrace = (t: Transaction) => now - t.createdAt.getTime() >= grace;

    const doku = answer.kind === 'found' ? mapTransactionStatus(answer.body.latestTransactionStatus) : 'NOT_FOUND';
    const body = answer.kind === 'found' ? answer.body : undefined;
    const code = body?.latestTransactionStatus ?? 'not found';
    const cause = `Query Purchase: ${code}`;

    switch (doku) {
      case 'SUCCESS':
      case 'REFUNDED':
        await this.transactions.transition(tx, purchase.id, 'SUCCESS', cause, 'doku-reported', {
          dokuReferenceNo: body?.originalReferenceNo ?? purchase.dokuReferenceNo,
          // DOKU's own record of the X-EXTERNAL-ID that created the purchase, when it gives one.
          dokuExternalId: typeof body?.originalExternalId === 'string' && /^[0-9A-Za-z-]{1,64}$/.test(body.originalExternalId) ? body.originalExternalId : null,
          details: { ...(body?.paidTime ? { paidTime: body.paidTime } : {}), ...(body?.approvalCode ? { approvalCode: body.approvalCode } : {}) },
        });
        break;
      case 'CANCELED':
        await this.transactions.transition(tx, purchase.id, 'CANCELED', cause, 'doku-reported');
        break;
      case 'FAILED':
        await this.transactions.transition(tx, purchase.id, 'FAILED', cause, 'doku-reported', {
          failureCode: 'DOKU.REJECTED',
          details: { dokuStatus: body?.transactionStatusDesc ?? code },
        });
        break;
      case 'NOT_FOUND':
        // Not found means failed only once DOKU has had time to know it, and only because a
        // purchase DOKU does not know cannot have been paid (settlementAllowed).
        if (isUnresolved(purchase.status) && pastGrace(purchase)) {
          await this.transactions.transition(tx, purchase.id, 'FAILED', `${cause} after the grace period`, 'doku-not-found', { failureCode: 'DOKU.NOT_FOUND' });
        }
        break;
      case 'PENDING':
        // DOKU has it and it is still in progress: no longer unknown.
        if (purchase.status === 'UNKNOWN') await this.transactions.transition(tx, purchase.id, 'PENDING', cause, 'doku-reported');
        break;
    }

    // refundHistory is optional in DOKU's answers: its absence says nothing about any refund.
    const history = body?.refundHistory ?? [];
    const missing: Transaction[] = [];
    for (const child of children.filter((c) => isUnresolved(c.status))) {
      if (child.type === 'REFUND' && !(await this.applyRefund(tx, child, history)) && pastGrace(child)) missing.push(child);
      if (child.type === 'CANCEL') await this.applyCancel(tx, child, doku, pastGrace(child));
    }
    return missing;
  }

  private notFoundGraceMs(): number {
    return this.config.reconciliation.notFoundGraceMs ?? NOT_FOUND_GRACE_MS;
  }

  /**
   * A refund is settled by its line in `refundHistory` (§3.17), matched on our partnerRefundNo.
   * Gives false when the answer has no line for it: that settles nothing (the caller may send the
   * refund again, see resendRefund).
   */
  private async applyRefund(tx: EntityManager, refund: Transaction, history: SnapRefundHistoryItem[]): Promise<boolean> {
    const line = history.find((h) => h.partnerRefundNo === refund.partnerReferenceNo);
    if (!line) return false;
    if (fromOptionalSnapMoney(line.refundAmount) !== undefined && fromOptionalSnapMoney(line.refundAmount) !== refund.amount) {
      logger.warn(`Refund ${refund.id}: DOKU lists another amount; left for the back office`);
      return true;
    }
    const status = mapTransactionStatus(line.refundStatus);
    if (status === 'SUCCESS') {
      const moved = await this.transactions.transition(tx, refund.id, 'SUCCESS', 'Query Purchase: refundHistory 00', 'doku-reported', { dokuReferenceNo: line.refundNo ?? null });
      if (moved.changed && refund.parentId) await this.transactions.settleRefundReservation(tx, refund.parentId, refund.amount, true);
    } else if (status === 'FAILED') {
      const moved = await this.transactions.transition(tx, refund.id, 'FAILED', 'Query Purchase: refundHistory 06', 'doku-reported', { failureCode: 'DOKU.REJECTED' });
      if (moved.changed && refund.parentId) await this.transactions.settleRefundReservation(tx, refund.parentId, refund.amount, false);
    } else if (status === 'PENDING' && refund.status === 'UNKNOWN') {
      await this.transactions.transition(tx, refund.id, 'PENDING', 'Query Purchase: refundHistory 03', 'doku-reported');
    }
    return true;
  }

  /** A cancel is settled by the purchase's own status: 05 means it happened. */
  private async applyCancel(tx: EntityManager, cancel: Transaction, doku: string, pastGrace: boolean): Promise<void> {
    if (doku === 'CANCELED') {
      await this.transactions.transition(tx, cancel.id, 'SUCCESS', 'Query Purchase: 05', 'doku-reported');
    } else if (pastGrace && (doku === 'SUCCESS' || doku === 'REFUNDED' || doku === 'FAILED' || doku === 'NOT_FOUND')) {
      await this.transactions.transition(tx, cancel.id, 'FAILED', `Query Purchase: ${doku} after the grace period`, doku === 'NOT_FOUND' ? 'doku-not-found' : 'doku-reported', {
        failureCode: 'PURCHASE.NOT_CANCELABLE',
      });
    }
  }
}
