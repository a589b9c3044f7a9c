import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DokuPurchases } from '../integrations/doku/wallet/purchase.facade';
import type { PurchaseCanceled } from '../integrations/doku/wallet/purchase.mapper';
import { captureDokuOutcome, DokuOutcome } from '../transactions/doku-outcome';
import type { Transaction } from '../transactions/entities/transaction.entity';
import { newPartnerReference } from '../transactions/partner-reference';
import { EXPIRY_CHECK_GRACE_SECONDS, payableUntilOf } from '../transactions/payable-until';
import { isUnresolved } from '../transactions/transaction-state';
import { TransactionsRepository } from '../transactions/transactions.repository';
import { PurchaseChannels } from './channels/purchase-channels';
import { purchaseReferenceOf } from './purchase-refund';
import { PurchasesRepository } from './purchases.repository';

/** The reason sent with the cancel, and the mark on our CANCEL row (`details.expiry`). */
export const EXPIRY_CANCEL_REASON = 'Payment time ran out';

/** Ours, not the customer's or a service's: the cancel the purchase's expiry sent. */
export function isExpiryCancel(transaction: Pick<Transaction, 'type' | 'details'>): boolean {
  return transaction.type === 'CANCEL' && (transaction.details as { expiry?: unknown } | null)?.expiry === true;
}

const logger = new Logger('ExpiredPurchaseCancels');

/**
 * A purchase DOKU still reports waiting for the PIN after its `validUpTo` (plus a few seconds) is
 * canceled at DOKU with Cancel Purchase, where its channel has a cancel (docs/customer-pages.md#expiry),
 * under the money rules (docs/money-rules.md):
 * - the CANCEL row (child of the purchase, marked `details.expiry`) is committed with its
 *   X-EXTERNAL-ID before anything is sent;
 * - a purchase gets one such cancel; sending it again (its answer was lost) reuses that row's
 *   X-EXTERNAL-ID and the same fields, so DOKU replays its first answer or applies it once;
 * - a lost answer leaves the cancel UNKNOWN and the purchase PENDING; only DOKU's success to the
 *   cancel, or a status query saying canceled (or failed), ends the purchase; a decline of the cancel
 *   (not found included, for a purchase DOKU acknowledged) fails the cancel and leaves the purchase
 *   as DOKU reports it.
 * Called by the reconciler only (never on a customer's poll), right after a status query said the
 * purchase is still waiting.
 */
@Injectable()
export class ExpiredPurchaseCancels {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly purchases: PurchasesRepository,
    private readonly transactions: TransactionsRepository,
    private readonly doku: DokuPurchases,
    private readonly channels: PurchaseChannels,
  ) {}

  /**
   * `purchase` as it is now, just reported waiting by DOKU. An unresolved expiry cancel is sent again
   * at most once per `resendAfterMs` (the pace of a refund sent again, docs/money-rules.md).
   */
  async cancelIfDue(purchase: Transaction, resendAfterMs: number): Promise<void> {
    if (purchase.status !== 'PENDING' || !this.channels.of(purchase).cancelable) return;
    const payableUntil = payableUntilOf(purchase);
    if (payableUntil === undefined || Date.now() < payableUntil + EXPIRY_CHECK_GRACE_SECONDS * 1000) return;
    const cancel = await this.cancelToSend(purchase, resendAfterMs);
    if (!cancel) return;
    const outcome = await captureDokuOutcome(() =>
      this.doku.cancel(
        { purchase: purchaseReferenceOf(purchase), amount: purchase.amount, reason: EXPIRY_CANCEL_REASON },
        { externalId: cancel.dokuExternalId ?? undefined },
      ),
    );
    await this.settle(purchase, cancel, outcome);
  }

  /**
   * Commit 1: the new CANCEL row, or the purchase's unresolved expiry cancel when it is due to be
   * sent again; nothing when the purchase moved meanwhile, another cancel is live, or its expiry
   * cancel was already answered.
   */
  private async cancelToSend(purchase: Transaction, resendAfterMs: number): Promise<Transaction | undefined> {
    return this.db.transaction(async (tx) => {
      // The purchase row first, then its children: the lock order of every money path.
      const locked = await this.purchases.lockForUpdate(tx, purchase.id, undefined);
      if (locked?.status !== 'PENDING') return undefined;
      const children = await this.purchases.findChildren(purchase.id, tx);
      const ours = children.find(isExpiryCancel);
      if (ours) {
        if (!isUnresolved(ours.status)) return undefined;
        // Sent again at most once per grace period, whoever asks.
        return (await this.transactions.claimSendAgain(ours.id, resendAfterMs)) ? ours : undefined;
      }
      if (await this.purchases.findLiveCancel(tx, purchase.id)) return undefined;
      return this.transactions.createPending(tx, {
        userId: locked.userId,
        type: 'CANCEL',
        amount: locked.amount,
        // Cancel Purchase carries no reference of its own; this one identifies our record.
        partnerReferenceNo: newPartnerReference('CNL'),
        dokuExternalId: await this.doku.newExternalId(),
        parentId: locked.id,
        // On behalf of whoever started the purchase.
        initiatorKind: locked.initiatorKind,
        initiatorId: locked.initiatorId,
        description: EXPIRY_CANCEL_REASON,
        details: { reason: EXPIRY_CANCEL_REASON, expiry: true },
        paymentMethod: locked.paymentMethod,
      });
    });
  }

  /** Commit 2: DOKU's answer to the cancel. */
  private async settle(purchase: Transaction, cancel: Transaction, outcome: DokuOutcome<PurchaseCanceled>): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.purchases.lockForUpdate(tx, purchase.id, undefined);
      if (outcome.kind === 'ok') {
        await this.transactions.transition(tx, cancel.id, 'SUCCESS', 'doku-response', 'doku-success', {
          dokuResponseCode: outcome.result.responseCode,
        });
        await this.transactions.transition(tx, purchase.id, 'CANCELED', 'doku-response', 'doku-success', {
          failureCode: 'PURCHASE.EXPIRED',
          details: { cancelTime: outcome.result.body.cancelTime ?? null },
        });
        return;
      }
      if (outcome.kind === 'rejected') {
        // Nothing was canceled: the purchase stays as DOKU reports it, and its status query goes on.
        logger.warn(`Cancel of expired purchase ${purchase.id} declined: ${outcome.error.code}`);
        await this.transactions.transition(tx, cancel.id, 'FAILED', 'doku-response', 'doku-declined', {
          failureCode: 'PURCHASE.NOT_CANCELABLE',
          dokuResponseCode: outcome.responseCode ?? null,
        });
        return;
      }
      await this.transactions.transition(tx, cancel.id, 'UNKNOWN', 'doku-response', 'doku-unclear', {
        dokuResponseCode: outcome.responseCode ?? null,
      });
    });
  }
}
