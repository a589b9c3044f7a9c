import type { DokuResult, MoneyCallOptions } from '../../integrations/doku/snap/doku.client';
import type { PurchaseReference, PurchaseStarted, PurchaseStatus } from '../../integrations/doku/snap/payment.types';
import type { PurchaseRefund, RefundResult } from '../../integrations/doku/snap/payment.types';
import type { DokuOutcome } from '../../transactions/doku-outcome';
import type { Transaction } from '../../transactions/entities/transaction.entity';
import type { ErrorCode } from '../../common/errors/error-codes';
import type { PaymentMethod } from '../../transactions/payment-method';
import type { PurchasePrecondition } from '../purchases.repository';

/** What the caller asked for, in our terms, for the channel to build its DOKU request from. */
export interface ChannelPurchaseInput {
  description?: string | null;
  items?: readonly { name: string; price: number; quantity: number }[];
  /** The customer's device (channels that pass it on, docs/channels.md#headers). */
  deviceId?: string;
  ipAddress?: string;
  /** The app's return link when the caller asked to go straight back to the app (docs/customer-pages.md#back-to-the-app). */
  appLink?: string;
  /** Until when DOKU's payment page takes the payment (`validUpTo`), on DOKU's clock. */
  payableUntil: Date;
  /**
   * The card and its OTP (CARD only, docs/channels.md#kki-card-host-to-host): held in memory for the
   * one payment call and never stored, logged or answered.
   */
  card?: ChannelCard;
}

/** A KKI card by DOKU's token or by its CPAN, with the customer's 8-digit OTP when the issuer sent one. */
export type ChannelCard = ({ bankCardToken: string; cpan?: never } | { cpan: string; bankCardToken?: never }) & { otp?: string };

/**
 * One way of paying a purchase (docs/channels.md#how-a-channel-plugs-in). The purchase feature keeps
 * everything that is the same for every channel (idempotency, the two commits, the state machine,
 * refund reservations, events); a channel says only what differs: what must hold before paying, how
 * the payment is opened at DOKU, which status query and which refund call it uses, and whether it can
 * be canceled. Each channel registers itself in `PurchaseChannels` at start.
 */
export interface PurchaseChannel {
  readonly method: PaymentMethod;
  /** True when the channel passes the customer's device on to DOKU (and so requires `deviceId`). */
  readonly takesDevice: boolean;
  /** False when DOKU has no cancel for this channel: a paid purchase is refunded instead. */
  readonly cancelable: boolean;
  /**
   * False when DOKU has no refund call for this channel: a refund request answers
   * PURCHASE.REFUND_NOT_SUPPORTED and the refund is a back-office matter. Absent means true.
   */
  readonly refundable?: boolean;
  /** False while the channel is off (its merchant is not configured): new purchases answer PURCHASE.PAYMENT_METHOD_UNAVAILABLE. Absent means on. */
  available?(): boolean;
  /** Prefix of the new partnerReferenceNo (docs/doku-integration.md#business-references). */
  readonly referencePrefix: string;
  /** Checked in commit 1's statement: refuses what cannot be paid this way (no bound wallet, unknown user). */
  readonly precondition: PurchasePrecondition;
  /** A fresh X-EXTERNAL-ID, stored in commit 1 with the purchase or refund. */
  newExternalId(): Promise<string>;
  /** The channel's own words for DOKU's declines, where the common ones speak of a wallet. */
  readonly rejectionMessages?: Partial<Record<ErrorCode, string>>;
  /** The channel's own form of a new partnerReferenceNo, when `referencePrefix` and 32 hex digits do not fit its rules. */
  newPartnerReference?(): string;
  /** The channel's own form of a new partnerRefundNo (stored with the refund before DOKU is called), when the usual one does not fit. */
  newRefundReference?(): Promise<string>;
  /** Outside any transaction: opens the payment at DOKU; every answer, or none, becomes an outcome. */
  start(purchase: Transaction, input: ChannelPurchaseInput, firstExternalId: string | undefined): Promise<DokuOutcome<PurchaseStarted>>;
  /** The channel's status query: what became of the purchase and its refunds. */
  status(purchase: PurchaseReference): Promise<DokuResult<PurchaseStatus>>;
  /** The channel's refund call; DOKU applies one refund per partnerRefundNo. */
  refund(refund: PurchaseRefund, options?: MoneyCallOptions): Promise<DokuResult<RefundResult>>;
}
