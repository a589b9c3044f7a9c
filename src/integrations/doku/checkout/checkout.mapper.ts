import type { Money } from '../../../common/money/money';
import type { DokuTransactionStatus } from '../snap/doku-response-codes';
import type { CheckoutPaymentRequest, CheckoutPaymentResponse, CheckoutResultEnvelope } from './checkout-wire.types';

/**
 * The DOKU e-Wallet checkout (docs/channels.md#doku-e-wallet-checkout) in our own words: an order
 * the customer pays on DOKU's page, and what DOKU says became of it.
 */

/** DOKU takes whole rupiah of at most 12 digits. */
const MAX_CHECKOUT_RUPIAH = 999_999_999_999n;
const INVOICE = /^[\x21-\x7e]{1,64}$/;

export interface CheckoutItem {
  name: string;
  /** Unit price. */
  price: Money;
  quantity: number;
}

export interface CheckoutOrder {
  /** Our reference of the order, unique per order, at most 64 printable characters. */
  invoiceNumber: string;
  amount: Money;
  /** When given, price × quantity must add up to `amount`. */
  items?: readonly CheckoutItem[];
  successUrl?: string;
  failedUrl?: string;
  /** Where DOKU sends the result. */
  notifyUrl: string;
  /** Send the customer to `successUrl` / `failedUrl` by itself when the payment ends. */
  autoRedirect: boolean;
  /** Replaces the host of the notification URL set at DOKU (same path only). */
  overrideNotificationUrl?: string;
}

/** DOKU created the order: show the customer `paymentPageUrl`. */
export interface CheckoutStarted {
  invoiceNumber: string | null;
  paymentPageUrl: string;
}

/** What a notification or the status query says of an order. */
export interface CheckoutOutcome {
  invoiceNumber: string | null;
  /** Whole rupiah as DOKU states it, when it is a whole number. */
  amount: Money | null;
  status: DokuTransactionStatus;
  /** DOKU's word, for the record. */
  statusWord: string | null;
  date: string | null;
  /** The Request-Id of the payment request, when DOKU names it. */
  originalRequestId: string | null;
}

/** Thrown before anything is sent when an order cannot be expressed on DOKU's wire. */
export class CheckoutOrderError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'CheckoutOrderError';
  }
}

function wholeRupiah(amount: Money, what: string): number {
  if (amount <= 0n || amount > MAX_CHECKOUT_RUPIAH) throw new CheckoutOrderError(`${what} must be 1 to 999,999,999,999 rupiah`);
  return Number(amount);
}

export function toCheckoutPaymentRequest(order: CheckoutOrder): CheckoutPaymentRequest {
  if (!INVOICE.test(order.invoiceNumber)) throw new CheckoutOrderError('invoice number must be 1 to 64 printable characters');
  if (order.notifyUrl.length === 0) throw new CheckoutOrderError('notify URL is required');
  const request: CheckoutPaymentRequest = {
    order: {
      invoice_number: order.invoiceNumber,
      amount: wholeRupiah(order.amount, 'amount'),
      notify_url: order.notifyUrl,
      auto_redirect: order.autoRedirect,
    },
  };
  if (order.items !== undefined && order.items.length > 0) {
    let total = 0n;
    request.order.line_items = order.items.map((item) => {
      if (item.name.length === 0 || item.name.length > 255) throw new CheckoutOrderError('item name must be 1 to 255 characters');
      if (!Number.isSafeInteger(item.quantity) || item.quantity < 1 || item.quantity > 9999) {
        throw new CheckoutOrderError('item quantity must be 1 to 9999');
      }
      total += item.price * BigInt(item.quantity);
      return { name: item.name, price: wholeRupiah(item.price, 'item price'), quantity: item.quantity };
    });
    if (total !== order.amount) throw new CheckoutOrderError('line items must add up to the amount');
  }
  if (order.successUrl) request.order.success_url = order.successUrl;
  if (order.failedUrl) request.order.failed_url = order.failedUrl;
  // Key order of DOKU's sample body: line items and the redirect URLs before notify_url.
  const { notify_url, auto_redirect, ...rest } = request.order;
  request.order = { ...rest, notify_url, auto_redirect };
  if (order.overrideNotificationUrl) request.additional_info = { override_notification_url: order.overrideNotificationUrl };
  return request;
}

/** The page URL, or undefined when DOKU's answer has none (then the order cannot be shown). */
export function toCheckoutStarted(body: CheckoutPaymentResponse | undefined): CheckoutStarted | undefined {
  const url = body?.doku_wallet_payment_page?.url;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return undefined;
  const invoice = body?.order?.invoice_number;
  return { invoiceNumber: typeof invoice === 'string' ? invoice : null, paymentPageUrl: url };
}

const STATUS: Readonly<Record<string, DokuTransactionStatus>> = {
  SUCCESS: 'SUCCESS',
  FAILED: 'FAILED',
  EXPIRED: 'CANCELED',
  REFUNDED: 'REFUNDED',
  PENDING: 'PENDING',
  TIMEOUT: 'PENDING',
  REDIRECT: 'PENDING',
};

/** Reads a notification or status body leniently; an unknown word is PENDING, never success. */
export function toCheckoutOutcome(body: CheckoutResultEnvelope | undefined): CheckoutOutcome {
  const word = body?.transaction?.status;
  const amount = body?.order?.amount;
  const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    invoiceNumber: text(body?.order?.invoice_number),
    amount: typeof amount === 'number' && Number.isSafeInteger(amount) && amount >= 0 ? (BigInt(amount) as Money) : null,
    status:
      typeof word === 'string' && Object.prototype.hasOwnProperty.call(STATUS, word.toUpperCase()) ? STATUS[word.toUpperCase()] : 'PENDING',
    statusWord: text(word),
    date: text(body?.transaction?.date),
    originalRequestId: text(body?.transaction?.original_request_id),
  };
}
