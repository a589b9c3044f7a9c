import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppReturnLinks } from '../clients/app-return-links.service';
import type { CustomerPage } from '../common/pages/customer-page';
import { AppError } from '../common/errors/app-error';
import type { Transaction } from '../transactions/entities/transaction.entity';
import { isUnresolved } from '../transactions/transaction-state';
import { purchaseReturnPage } from './purchase-return.page';
import { PurchaseStatusService } from './purchase-status.service';
import { PurchasesRepository } from './purchases.repository';

/** How long the return page waits for DOKU's answer before it shows "being confirmed" instead. */
export const RETURN_PAGE_WAIT_MS = 1_000;
/** How often the "being confirmed" page reads the light status. */
const STATUS_POLL_SECONDS = 2;
/** The light status the "being confirmed" page polls. */
export const PURCHASE_RETURN_STATUS_PATH = '/v1/callbacks/doku/purchase/status';

const logger = new Logger('PurchaseReturn');

/**
 * PAY_RETURN: the browser comes back from DOKU's PIN page (docs/customer-pages.md). Its query
 * parameters are not evidence of anything; the page shows what our record says, asking DOKU first
 * like a poll, and leads back to the app that started the purchase with the outcome in the link.
 */
@Injectable()
export class PurchaseReturnService {
  constructor(
    private readonly purchases: PurchasesRepository,
    private readonly status: PurchaseStatusService,
    private readonly returnLinks: AppReturnLinks,
  ) {}

  /**
   * The page answers at once: it waits at most RETURN_PAGE_WAIT_MS for DOKU's answer (asked like a
   * poll, at most once per interval), and otherwise shows "being confirmed", which polls the light
   * status and reloads once the outcome is known; the status query finishes in the background.
   */
  async page(ref: unknown): Promise<CustomerPage> {
    const found = await this.find(ref);
    if (!found) return this.withLink(purchaseReturnPage(undefined), undefined);
    let purchase: Transaction = found;
    if (isUnresolved(found.status)) {
      const settled = this.refreshInBackground(found);
      const answer = await Promise.race([settled, sleep(RETURN_PAGE_WAIT_MS).then(() => undefined)]);
      purchase = answer ?? found;
    }
    const page = await this.withLink(purchaseReturnPage(purchase), purchase);
    if (page.result !== 'processing') return page;
    const statusUrl = `${PURCHASE_RETURN_STATUS_PATH}?ref=${encodeURIComponent(found.partnerReferenceNo)}`;
    return { ...page, poll: { statusUrl, everySeconds: STATUS_POLL_SECONDS } };
  }

  /**
   * The light status the "being confirmed" page polls: our record only, answered at once. While the
   * purchase is unresolved it also starts a status query in the background, claimed like any poll,
   * so DOKU is asked at most once per interval however often pages poll.
   */
  async isFinal(ref: unknown): Promise<boolean> {
    const found = await this.find(ref);
    if (!found) throw new AppError('PURCHASE.NOT_FOUND', 'No such purchase');
    if (!isUnresolved(found.status)) return true;
    void this.refreshInBackground(found);
    return false;
  }

  private async find(ref: unknown): Promise<Transaction | null> {
    return typeof ref === 'string' && /^(?:PUR|DNA|DWC)-[0-9a-f]{32}$/.test(ref) ? this.purchases.findByPartnerReference(ref) : null;
  }

  /** The purchase after a claimed status query, or as it was when DOKU could not be reached. Never rejects. */
  private async refreshInBackground(purchase: Transaction): Promise<Transaction> {
    try {
      return (await this.status.refresh(purchase, { poll: true })).purchase;
    } catch (error) {
      // DOKU unreachable: the purchase is still being confirmed; the page and the app read it later.
      logger.warn(`Status query for purchase ${purchase.id} from its return page failed: ${(error as Error).name}`);
      return purchase;
    }
  }

  private async withLink(page: CustomerPage, purchase: Transaction | undefined): Promise<CustomerPage> {
    const initiator = purchase ? { kind: purchase.initiatorKind, id: purchase.initiatorId } : undefined;
    const ids = purchase ? { purchaseId: purchase.id } : undefined;
    return { ...page, returnUrl: await this.returnLinks.linkFor(initiator, page.result, 'purchase', ids) };
  }
}
