import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Sim } from '../../sim';
import { isObject, type Json } from '../../validate';

/**
 * DOKU e-Wallet checkout, DOKU's non-SNAP API (docs/channels.md#doku-e-wallet-checkout): the order
 * request, its payment page, the status query and the HTTP notification, each signed with the
 * non-SNAP scheme. Written from DOKU's page, sharing nothing with the backend's client.
 */

export const CHECKOUT_PATHS = {
  payment: '/dokuwallet-emoney/v1/payment',
  statusPrefix: '/orders/v1/status/',
  page: '/dokuwallet/pay',
} as const;

export interface CheckoutClient {
  clientId: string;
  secretKey: string;
  /** The notification URL "set in the back office"; `override_notification_url` may change only its host. */
  notificationUrl?: string;
}

/** REFUNDED: refunded in DOKU's back office (the channel has no refund call; the status then says so). */
export type CheckoutStatus = 'PENDING' | 'SUCCESS' | 'FAILED' | 'REFUNDED';

export interface CheckoutOrder {
  clientId: string;
  invoiceNumber: string;
  amount: number;
  lineItems?: Json[];
  successUrl?: string;
  failedUrl?: string;
  notifyTarget?: string;
  autoRedirect: boolean;
  requestId: string;
  pageToken: string;
  status: CheckoutStatus;
  createdAt: number;
  paidAt?: number;
}

export interface CheckoutNotificationRecord {
  invoiceNumber: string;
  url: string;
  attempt: number;
  requestId: string;
  status?: number;
  error?: string;
  at: number;
}

export interface CheckoutNotifySettings {
  /** Delays before attempt 1, 2, … in ms (scaled). DOKU's own: now, +30 min, +6 h, +12 h. */
  retryDelaysMs: number[];
  timeScale: number;
  timeoutMs: number;
}

/** A refusal: HTTP status and a simulator error body (DOKU documents none for this API). */
export class CheckoutRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function digestOf(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('base64');
}

export function nonSnapSign(
  secretKey: string,
  parts: { clientId: string; requestId: string; timestamp: string; timestampName?: string; target: string; body?: Buffer | string },
): string {
  const lines = [
    `Client-Id:${parts.clientId}`,
    `Request-Id:${parts.requestId}`,
    `${parts.timestampName ?? 'Request-Timestamp'}:${parts.timestamp}`,
    `Request-Target:${parts.target}`,
  ];
  if (parts.body !== undefined) lines.push(`Digest:${digestOf(parts.body)}`);
  return `HMACSHA256=${createHmac('sha256', Buffer.from(secretKey, 'utf8')).update(lines.join('\n'), 'utf8').digest('base64')}`;
}

export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function utcNow(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

const UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
export function parseUtc(value: string): number | undefined {
  return UTC.test(value) ? Date.parse(value) : undefined;
}

const refuse = (code: string, message: string): CheckoutRefusal => new CheckoutRefusal(400, code, message);
const digitsMax = (n: unknown, max: number): n is number =>
  typeof n === 'number' && Number.isSafeInteger(n) && n > 0 && String(n).length <= max;

export class CheckoutOrders {
  readonly clients = new Map<string, CheckoutClient>();
  readonly orders = new Map<string, CheckoutOrder>();
  readonly notifications: CheckoutNotificationRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  notify: CheckoutNotifySettings;
  /** Answer `notify_url` missing with 400 (DOKU: mandatory); false falls back to the back-office URL. */
  requireNotifyUrl = true;

  constructor(
    private readonly sim: Sim,
    clients: CheckoutClient[],
    notify: Partial<CheckoutNotifySettings> = {},
  ) {
    for (const c of clients) this.clients.set(c.clientId, c);
    this.notify = { retryDelaysMs: [0, 5_000, 30_000, 120_000], timeScale: 1, timeoutMs: 5_000, ...notify };
  }

  reset(): void {
    this.orders.clear();
    this.notifications.length = 0;
    this.close();
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Validates and stores a new order; answers the response body (without signature). */
  create(client: CheckoutClient, requestId: string, body: Json): Json {
    const order = body.order;
    if (!isObject(order)) throw refuse('invalid_parameter', 'order is mandatory');
    // The page lists the URLs and auto_redirect at the top level, DOKU's sample inside `order`: both are read.
    const field = (name: string): unknown => (order[name] !== undefined ? order[name] : body[name]);
    const invoice = order.invoice_number;
    if (typeof invoice !== 'string' || invoice.length === 0 || invoice.length > 64)
      throw refuse('invalid_parameter', 'order.invoice_number');
    if (this.orders.has(`${client.clientId}|${invoice}`)) throw refuse('duplicate_invoice', 'order.invoice_number already used');
    const amount = order.amount;
    if (!digitsMax(amount, 12)) throw refuse('invalid_parameter', 'order.amount must be a whole number of rupiah, at most 12 digits');
    let lineItems: Json[] | undefined;
    if (order.line_items !== undefined) {
      if (!Array.isArray(order.line_items) || order.line_items.length === 0) throw refuse('invalid_parameter', 'order.line_items');
      let total = 0;
      lineItems = order.line_items.map((item: unknown) => {
        if (!isObject(item)) throw refuse('invalid_parameter', 'order.line_items');
        const { name, price, quantity } = item;
        if (typeof name !== 'string' || name.length === 0 || name.length > 255) throw refuse('invalid_parameter', 'order.line_items.name');
        if (!digitsMax(price, 12)) throw refuse('invalid_parameter', 'order.line_items.price');
        if (!digitsMax(quantity, 4)) throw refuse('invalid_parameter', 'order.line_items.quantity');
        total += price * quantity;
        return { name, price, quantity };
      });
      if (total !== amount) throw refuse('invalid_parameter', 'order.line_items do not add up to order.amount');
    }
    const url = (name: string): string | undefined => {
      const v = field(name);
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || !/^https?:\/\/\S+$/.test(v)) throw refuse('invalid_parameter', `${name} must be a URL`);
      return v;
    };
    const successUrl = url('success_url');
    const failedUrl = url('failed_url');
    const notifyUrl = url('notify_url');
    if (notifyUrl === undefined && this.requireNotifyUrl) throw refuse('invalid_parameter', 'notify_url is mandatory');
    const auto = field('auto_redirect');
    if (auto !== undefined && auto !== true && auto !== false && auto !== 'true' && auto !== 'false') {
      throw refuse('invalid_parameter', 'auto_redirect must be true or false');
    }
    const info = body.additional_info;
    let override: string | undefined;
    if (isObject(info) && info.override_notification_url !== undefined) {
      const v = info.override_notification_url;
      if (typeof v !== 'string' || !/^https?:\/\/\S+$/.test(v)) throw refuse('invalid_parameter', 'override_notification_url');
      if (client.notificationUrl && new URL(v).pathname !== new URL(client.notificationUrl).pathname) {
        throw refuse('invalid_parameter', 'override_notification_url must keep the path of the configured notification URL');
      }
      override = v;
    }
    const record: CheckoutOrder = {
      clientId: client.clientId,
      invoiceNumber: invoice,
      amount,
      lineItems,
      successUrl,
      failedUrl,
      notifyTarget: override ?? notifyUrl ?? client.notificationUrl,
      autoRedirect: auto === true || auto === 'true',
      requestId,
      pageToken: randomBytes(16).toString('hex'),
      status: 'PENDING',
      createdAt: this.sim.now(),
    };
    this.orders.set(`${client.clientId}|${invoice}`, record);
    const answer: Json = {
      order: { invoice_number: invoice, ...(lineItems ? { line_items: lineItems } : {}) },
      doku_wallet_payment_page: { url: `${this.sim.publicUrl}${CHECKOUT_PATHS.page}/${record.pageToken}` },
    };
    if (override) answer.additional_info = { override_notification_url: override };
    return answer;
  }

  find(clientId: string, invoice: string): CheckoutOrder | undefined {
    return this.orders.get(`${clientId}|${invoice}`);
  }

  byPageToken(token: string): CheckoutOrder | undefined {
    return token ? [...this.orders.values()].find((o) => o.pageToken === token) : undefined;
  }

  envelope(order: CheckoutOrder): Json {
    return {
      service: { id: 'EMONEY' },
      acquirer: { id: 'DOKU' },
      channel: { id: 'EMONEY_DOKU' },
      order: { invoice_number: order.invoiceNumber, amount: order.amount },
      transaction: {
        status: order.status,
        date: utcNow(order.paidAt ?? order.createdAt),
        original_request_id: order.requestId,
      },
    };
  }

  /** The customer finished on the page (or the control API decided for them): final, then notified. */
  complete(order: CheckoutOrder, result: 'SUCCESS' | 'FAILED', badSignature = false, duplicate = false): CheckoutOrder {
    if (order.status !== 'PENDING') throw new Error(`order ${order.invoiceNumber} is already ${order.status}`);
    order.status = result;
    order.paidAt = this.sim.now();
    this.sendNotification(order, badSignature);
    if (duplicate) this.sendNotification(order, false);
    return order;
  }

  /** The merchant refunded a paid order in DOKU's back office: the status query says REFUNDED from now on. */
  refundInBackOffice(order: CheckoutOrder): CheckoutOrder {
    if (order.status !== 'SUCCESS') throw new Error(`order ${order.invoiceNumber} is ${order.status}: only a paid order is refunded`);
    order.status = 'REFUNDED';
    return order;
  }

  /** Where the browser goes when the page is done (docs/channels.md#doku-e-wallet-checkout). */
  redirectFor(order: CheckoutOrder): string | undefined {
    if (order.status === 'FAILED') return order.failedUrl ?? order.successUrl ?? (order.autoRedirect ? 'https://www.doku.com' : undefined);
    return order.successUrl ?? (order.autoRedirect ? 'https://www.doku.com' : undefined);
  }

  private sendNotification(order: CheckoutOrder, badSignature: boolean): void {
    const target = order.notifyTarget;
    if (!target) return;
    const client = this.clients.get(order.clientId);
    if (!client) return;
    const body = JSON.stringify(this.envelope(order));
    const attempt = (n: number): void => {
      const requestId = randomUUID();
      const timestamp = utcNow(this.sim.now());
      const url = new URL(target);
      const signature = nonSnapSign(badSignature ? `${client.secretKey}-wrong` : client.secretKey, {
        clientId: client.clientId,
        requestId,
        timestamp,
        target: url.pathname,
        body,
      });
      const record: CheckoutNotificationRecord = {
        invoiceNumber: order.invoiceNumber,
        url: target,
        attempt: n,
        requestId,
        at: this.sim.now(),
      };
      this.notifications.push(record);
      if (this.notifications.length > 10_000) this.notifications.splice(0, this.notifications.length - 10_000);
      fetch(target, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Client-Id': client.clientId,
          'Request-Id': requestId,
          'Request-Timestamp': timestamp,
          Signature: signature,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.notify.timeoutMs),
      })
        .then(async (res) => {
          record.status = res.status;
          await res.body?.cancel();
          if (res.status < 200 || res.status >= 300) retry(n);
        })
        .catch((e: unknown) => {
          record.error = e instanceof Error ? e.message.slice(0, 100) : 'error';
          retry(n);
        });
    };
    const retry = (n: number): void => {
      const delay = this.notify.retryDelaysMs[n];
      if (delay === undefined) return;
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          attempt(n + 1);
        },
        Math.round(delay * this.notify.timeScale),
      );
      this.timers.add(timer);
    };
    retry(0);
  }
}
