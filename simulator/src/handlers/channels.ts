import type { IncomingMessage } from 'node:http';
import { errors, SnapError } from '../codes';
import { sha256Hex } from '../crypto';
import type { FaultDecision, FaultInjector } from '../faults';
import type { ChannelEndpointName } from '../paths';
import type { HttpReply, SubRouter } from '../server';
import { header, REFUSED, snapReply, type SnapGate } from '../snap-gate';
import type { Sim } from '../sim';
import { toJakartaIso } from '../time';
import type { TokenService } from '../tokens';
import { isObject, str, type Json } from '../validate';
import type { CheckoutClient, CheckoutNotifySettings, CheckoutOrder } from './checkout/checkout';
import { CHECKOUT_PATHS, CheckoutOrders, CheckoutRefusal, nonSnapSign, parseUtc, sameText, utcNow } from './checkout/checkout';
import type { KkiSettings } from './kki/kki';
import { KKI_CONFIRM_PAGE, KKI_SERVICE, KkiCards } from './kki/kki';

/**
 * DOKU's other channels in the simulator (docs/channels.md): the KKI card calls on the SNAP
 * direct-debit core paths and the non-SNAP DOKU e-Wallet checkout, with their customer pages and
 * `/_sim/kki/…`, `/_sim/checkout/…` control routes.
 *
 * The server asks this router first. Where the endpoint map serves the same path (another
 * direct-debit channel), a KKI payment is recognised by its card fields and a refund or status
 * query by naming a KKI payment, and anything else is left to the endpoint map, so the channels can
 * live side by side; where it does not, this router answers every request on its paths.
 */

export interface ChannelOptions {
  kki?: Partial<KkiSettings> & {
    /** Paths of the three calls (DOKU's direct-debit core paths by default). */
    paths?: Partial<Record<'payment' | 'refund' | 'status', string>>;
  };
  checkout?: {
    clients?: CheckoutClient[];
    notify?: Partial<CheckoutNotifySettings>;
  };
}

export const KKI_DEFAULT_PATHS = {
  payment: '/direct-debit/core/v1/debit/payment-host-to-host',
  refund: '/direct-debit/core/v1/debit/refund',
  status: '/orders/v1.0/debit/status',
} as const;

type Reply = HttpReply;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } };
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function html(status: number, title: string, content: string): Reply {
  return {
    status,
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · DOKU simulator</title></head><body><h1>${esc(title)}</h1>${content}</body></html>`,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' },
  };
}

function decisionForm(action: string, token: string, approve: string, decline: string): string {
  return (
    `<form method="post" action="${esc(action)}"><input type="hidden" name="token" value="${esc(token)}">` +
    `<button type="submit" name="action" value="approve">${esc(approve)}</button> <button type="submit" name="action" value="decline">${esc(decline)}</button></form>`
  );
}

interface SeenExternalId {
  bodyHash: string;
  reply?: Reply;
}

export class ChannelRouter implements SubRouter {
  readonly kki: KkiCards;
  readonly checkout: CheckoutOrders;
  private readonly kkiPaths: Record<'payment' | 'refund' | 'status', string>;
  /** Non-SNAP Request-Id book: `clientId|Request-Id` → the first request's body hash and answer. */
  private requestIds = new Map<string, SeenExternalId>();

  constructor(
    private readonly sim: Sim,
    private readonly tokens: TokenService,
    private readonly faults: FaultInjector,
    private readonly gate: SnapGate,
    options: ChannelOptions = {},
  ) {
    this.kki = new KkiCards(sim, options.kki);
    this.kkiPaths = { ...KKI_DEFAULT_PATHS, ...options.kki?.paths };
    this.checkout = new CheckoutOrders(sim, options.checkout?.clients ?? [], options.checkout?.notify);
  }

  reset(): void {
    this.kki.reset();
    this.checkout.reset();
    this.requestIds = new Map();
  }

  close(): void {
    this.checkout.close();
  }

  async handle(req: IncomingMessage, pathname: string, search: URLSearchParams, raw: Buffer): Promise<Reply | undefined> {
    const method = req.method ?? 'GET';
    // The request log names the channel's operation (kkiPayment…), not the endpoint map's on a shared path.
    const named = (endpoint: string, reply: Reply | undefined): Reply | undefined => reply && { ...reply, endpoint };
    if (method === 'POST' && pathname === this.kkiPaths.payment) return named('kkiPayment', await this.kkiCall('kkiPayment', req, raw));
    if (method === 'POST' && pathname === this.kkiPaths.refund) return named('kkiRefund', await this.kkiCall('kkiRefund', req, raw));
    if (method === 'POST' && pathname === this.kkiPaths.status) return named('kkiStatus', await this.kkiCall('kkiStatus', req, raw));
    if (pathname === CHECKOUT_PATHS.payment)
      return named('checkoutPayment', await this.checkoutCall('checkoutPayment', req, pathname, raw));
    if (pathname.startsWith(CHECKOUT_PATHS.statusPrefix))
      return named('checkoutStatus', await this.checkoutCall('checkoutStatus', req, pathname, raw));
    if (pathname.startsWith(`${CHECKOUT_PATHS.page}/`)) return this.checkoutPage(req, pathname.slice(CHECKOUT_PATHS.page.length + 1), raw);
    if (pathname === KKI_CONFIRM_PAGE) return this.kkiConfirmPage(req, search, raw);
    if (this.sim.settings.controlApi && pathname.startsWith('/_sim/')) return this.control(method, pathname, raw);
    return undefined;
  }

  // ---- KKI (SNAP) ----

  private async kkiCall(name: 'kkiPayment' | 'kkiRefund' | 'kkiStatus', req: IncomingMessage, raw: Buffer): Promise<Reply | undefined> {
    // Whose call is it? Another direct-debit channel's request on the same path is not ours.
    let body: Json | undefined;
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      body = isObject(parsed) ? parsed : undefined;
    } catch {
      body = undefined;
    }
    const partnerId = header(req, 'x-partner-id') ?? '';
    // When the endpoint map serves the same path, everything that is not recognisably KKI goes there;
    // otherwise this channel answers all of it (and refuses what it does not know).
    const shared = this.sim.byPath.has(this.kkiPaths[name === 'kkiPayment' ? 'payment' : name === 'kkiRefund' ? 'refund' : 'status']);
    if (shared) {
      if (!body) return undefined;
      if (name === 'kkiPayment' && !KkiCards.isCardPayment(body)) return undefined;
      if (name !== 'kkiPayment' && !this.kki.knows(partnerId, body)) return undefined;
    }
    if (!body)
      return this.snapError(
        errors.badRequest(
          name === 'kkiPayment' ? KKI_SERVICE.payment : name === 'kkiRefund' ? this.kki.refundService() : KKI_SERVICE.status,
        ),
      );
    const svc = name === 'kkiPayment' ? KKI_SERVICE.payment : name === 'kkiRefund' ? this.kki.refundService() : KKI_SERVICE.status;
    try {
      return await this.kkiAuthenticated(name, svc, req, raw, body);
    } catch (e) {
      if (e instanceof SnapError) return this.snapError(e);
      throw e;
    }
  }

  private snapError(e: SnapError): Reply {
    return snapReply(this.sim, e);
  }

  private async kkiAuthenticated(name: ChannelEndpointName, svc: string, req: IncomingMessage, raw: Buffer, body: Json): Promise<Reply> {
    const sim = this.sim;
    const caller = this.gate.authenticate(req, svc, req.url ?? '', raw);
    const { partner } = caller;

    // The payment carries the customer token DOKU's page makes mandatory: any live one of this partner.
    let customerToken: string | undefined;
    if (name === 'kkiPayment') {
      const h = header(req, 'authorization-customer');
      if (h) {
        customerToken = h.replace(/^Bearer\s+/i, '').trim();
        const rec = this.tokens.findCustomer(customerToken, 'access', false);
        if (!rec || rec.clientId !== partner.clientId) throw errors.invalidCustomerToken(svc);
      } else if (this.kki.settings.requireCustomerToken) {
        throw errors.customerTokenNotFound(svc);
      }
    }

    const key =
      str(body, 'partnerRefundNo') ?? str(body, 'partnerReferenceNo') ?? str(body, 'originalPartnerReferenceNo') ?? caller.externalId;
    const faults = this.faults.decide(name, key, str(body, 'amount.value') ?? str(body, 'refundAmount.value'));
    const refused = this.gate.admit(caller, svc, faults, customerToken);
    if (refused) return refused;

    // X-EXTERNAL-ID: once per partner per Jakarta day, in the same book as the wallet's endpoints.
    return this.gate.exchange(caller, svc, raw, faults, () => {
      const answer =
        name === 'kkiPayment'
          ? this.kki.pay(partner.clientId, caller.externalId, body)
          : name === 'kkiRefund'
            ? this.kki.refund(partner.clientId, body)
            : this.kki.status(partner.clientId, body);
      const responseCode = `200${svc}00`;
      const reply = json(200, { responseCode, responseMessage: 'Successful', ...answer }, { 'X-TIMESTAMP': toJakartaIso(sim.now()) });
      reply.responseCode = responseCode;
      return reply;
    });
  }

  private afterApply(reply: Reply, faults: FaultDecision, errorAfter: () => Reply): Reply {
    if (faults.drop) return { ...reply, drop: true };
    if (faults.errorAfter) return errorAfter();
    if (faults.malformed) return { ...reply, status: 200, body: reply.body.slice(0, Math.max(1, Math.floor(reply.body.length / 2))) };
    return reply;
  }

  private kkiConfirmPage(req: IncomingMessage, search: URLSearchParams, raw: Buffer): Reply {
    const isPost = req.method === 'POST';
    const fields = isPost ? new URLSearchParams(raw.toString('utf8')) : search;
    const token = fields.get('token') ?? '';
    const payment = this.kki.byConfirmToken(token);
    if (!payment) return html(404, 'Link expired', '<p>This confirmation link is invalid or was already used.</p>');
    if (!isPost) {
      return html(
        200,
        'Confirm your card payment',
        `<p>Pay Rp ${esc(payment.amount.toString().slice(0, -2) || '0')} with the card ending ${esc(payment.cpan.slice(-4))}?</p>` +
          decisionForm(KKI_CONFIRM_PAGE, token, 'Approve', 'Decline'),
      );
    }
    const done = this.kki.confirm(payment, fields.get('action') === 'approve');
    return html(200, done.status === '00' ? 'Payment approved' : 'Payment declined', '<p>You can return to the merchant.</p>');
  }

  // ---- DOKU e-Wallet checkout (non-SNAP) ----

  private async checkoutCall(name: 'checkoutPayment' | 'checkoutStatus', req: IncomingMessage, path: string, raw: Buffer): Promise<Reply> {
    const now = this.sim.now();
    const refusal = (status: number, code: string, message: string): Reply => json(status, { error: { code, message } });
    const expected = name === 'checkoutPayment' ? 'POST' : 'GET';
    if (req.method !== expected) return refusal(405, 'method_not_allowed', `${expected} only`);
    const clientId = header(req, 'client-id');
    const requestId = header(req, 'request-id');
    const timestamp = header(req, 'request-timestamp');
    const signature = header(req, 'signature');
    if (!clientId || !requestId || !timestamp || !signature)
      return refusal(400, 'invalid_header', 'Client-Id, Request-Id, Request-Timestamp and Signature are mandatory');
    const client = this.checkout.clients.get(clientId);
    if (!client) return refusal(401, 'invalid_client_id', 'Unknown Client-Id');
    if (requestId.length > 128) return refusal(400, 'invalid_header', 'Request-Id is longer than 128 characters');
    const sentAt = parseUtc(timestamp);
    if (sentAt === undefined) return refusal(400, 'invalid_header', 'Request-Timestamp must be UTC like 2021-07-07T08:45:42Z');
    if (Math.abs(now - sentAt) > this.sim.settings.skewMs) return refusal(401, 'invalid_timestamp', 'Request-Timestamp out of range');
    const body = name === 'checkoutPayment' ? raw : undefined;
    const target = req.url ?? path;
    if (!sameText(nonSnapSign(client.secretKey, { clientId, requestId, timestamp, target, body }), signature)) {
      return refusal(401, 'invalid_signature', 'Invalid Signature');
    }

    const invoice = name === 'checkoutStatus' ? decodeURIComponent(path.slice(CHECKOUT_PATHS.statusPrefix.length)) : undefined;
    let parsed: Json | undefined;
    if (body !== undefined) {
      try {
        const value: unknown = JSON.parse(body.toString('utf8'));
        parsed = isObject(value) ? value : undefined;
      } catch {
        parsed = undefined;
      }
      if (!parsed) return refusal(400, 'invalid_parameter', 'body must be a JSON object');
    }
    const order = parsed?.order;
    const key = invoice ?? (isObject(order) && typeof order.invoice_number === 'string' ? order.invoice_number : requestId);
    const amount = isObject(order) && typeof order.amount === 'number' ? String(order.amount) : undefined;
    const faults = this.faults.decide(name, key, amount);
    if (faults.refuse) return REFUSED;

    // Request-Id: the same id and body again gets the first answer with 409; another body, 409.
    const bookKey = `${clientId}|${requestId}`;
    const bodyHash = sha256Hex(body ?? `GET ${target}`);
    if (name === 'checkoutPayment') {
      const seen = this.requestIds.get(bookKey);
      if (seen) {
        if (seen.reply && seen.bodyHash === bodyHash) return { ...seen.reply, status: 409, drop: false };
        return refusal(409, 'duplicate_request_id', 'Request-Id already used with another body');
      }
    }
    const record: SeenExternalId = { bodyHash };
    if (name === 'checkoutPayment') this.requestIds.set(bookKey, record);
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (faults.errorBefore) {
      this.requestIds.delete(bookKey);
      return refusal(faults.errorBefore, 'internal_error', 'General Error');
    }
    let reply: Reply;
    try {
      let answer: Json;
      if (name === 'checkoutPayment') answer = this.checkout.create(client, requestId, parsed as Json);
      else {
        const found = this.checkout.find(clientId, invoice as string);
        if (!found) throw new CheckoutRefusal(404, 'not_found', 'Unknown invoice number');
        answer = this.checkout.envelope(found);
      }
      reply = this.signedAnswer(client, requestId, target, answer, faults.badSignature);
    } catch (e) {
      if (!(e instanceof CheckoutRefusal)) {
        this.requestIds.delete(bookKey);
        throw e;
      }
      reply = refusal(e.status, e.code, e.message);
    }
    record.reply = reply;
    return this.afterApply(reply, faults, () => refusal(faults.errorAfter as number, 'internal_error', 'General Error'));
  }

  /** 200 with DOKU's response headers: `Signature` over `Response-Timestamp`, our Request-Id and the answer's bytes. */
  private signedAnswer(client: CheckoutClient, requestId: string, target: string, answer: Json, badSignature: boolean): Reply {
    const body = JSON.stringify(answer);
    const timestamp = utcNow(this.sim.now());
    const signature = nonSnapSign(badSignature ? `${client.secretKey}-wrong` : client.secretKey, {
      clientId: client.clientId,
      requestId,
      timestamp,
      timestampName: 'Response-Timestamp',
      target,
      body,
    });
    return {
      status: 200,
      body,
      headers: {
        'Content-Type': 'application/json',
        'Client-Id': client.clientId,
        'Request-Id': requestId,
        'Response-Timestamp': timestamp,
        Signature: signature,
      },
    };
  }

  private checkoutPage(req: IncomingMessage, token: string, raw: Buffer): Reply {
    const order = this.checkout.byPageToken(token);
    if (!order) return html(404, 'Link expired', '<p>This payment link is invalid.</p>');
    if (order.status !== 'PENDING') return this.afterPage(order);
    if (req.method !== 'POST') {
      return html(
        200,
        'Pay with DOKU Wallet',
        `<p>Order ${esc(order.invoiceNumber)}: Rp ${order.amount}</p>` +
          decisionForm(`${CHECKOUT_PATHS.page}/${token}`, token, 'Pay', 'Cancel'),
      );
    }
    const action = new URLSearchParams(raw.toString('utf8')).get('action');
    return this.afterPage(this.completeOrder(order, action === 'approve' ? 'SUCCESS' : 'FAILED'));
  }

  private completeOrder(order: CheckoutOrder, result: 'SUCCESS' | 'FAILED'): CheckoutOrder {
    const faults = this.faults.decide('notification', order.invoiceNumber);
    const signing = this.faults.decide('checkoutPayment', `notify:${order.invoiceNumber}`);
    return this.checkout.complete(order, result, signing.badSignature, faults.notifyDuplicate);
  }

  private afterPage(order: CheckoutOrder): Reply {
    const location = this.checkout.redirectFor(order);
    if (location) return { status: 302, body: '', headers: { Location: location, 'Cache-Control': 'no-store' } };
    return html(200, order.status === 'SUCCESS' ? 'Payment successful' : 'Payment failed', '<p>You can return to the merchant.</p>');
  }

  // ---- Control API ----

  private control(method: string, pathname: string, raw: Buffer): Reply | undefined {
    if (!pathname.startsWith('/_sim/kki/') && !pathname.startsWith('/_sim/checkout/')) return undefined;
    let body: Json = {};
    try {
      const parsed: unknown = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
      if (isObject(parsed)) body = parsed;
    } catch {
      return json(400, { error: 'body must be JSON' });
    }
    const seg = pathname.split('/').slice(2).map(decodeURIComponent);
    try {
      const result = this.route(method, seg, body);
      return result === undefined ? json(404, { error: 'unknown control route' }) : json(200, result);
    } catch (e) {
      return json(400, { error: e instanceof Error ? e.message : 'error' });
    }
  }

  private route(method: string, seg: string[], body: Json): unknown {
    const [area, kind, id, action] = seg;
    if (area === 'kki') {
      if (method === 'POST' && kind === 'cards' && id === undefined) {
        const text = (k: string): string | undefined => (typeof body[k] === 'string' ? body[k] : undefined);
        const card = this.kki.addCard({
          cpan: text('cpan'),
          bankCardToken: text('bankCardToken'),
          otp: text('otp'),
          available: text('available'),
          status: body.status === 'BLOCKED' ? 'BLOCKED' : undefined,
          confirm: body.confirm === 'in-app' ? 'in-app' : undefined,
        });
        return this.kki.cardView(card);
      }
      if (method === 'GET' && kind === 'cards' && id !== undefined) {
        const card = this.kki.cards.get(id);
        return card ? this.kki.cardView(card) : undefined;
      }
      if (method === 'PUT' && kind === 'settings') {
        const next = { ...this.kki.settings };
        for (const k of ['requireCustomerToken', 'requireOtp'] as const) if (typeof body[k] === 'boolean') next[k] = body[k];
        if (body.codeMode === 'doc' || body.codeMode === 'snap') next.codeMode = body.codeMode;
        if (typeof body.otpMaxAttempts === 'number' && Number.isSafeInteger(body.otpMaxAttempts) && body.otpMaxAttempts > 0) {
          next.otpMaxAttempts = body.otpMaxAttempts;
        }
        this.kki.settings = next;
        return this.kki.settings;
      }
      if (kind === 'payments' && id !== undefined) {
        const payment = [...this.kki.payments.values()].find((p) => p.partnerReferenceNo === id);
        if (!payment) return undefined;
        if (method === 'GET' && action === undefined) return this.kki.paymentView(payment);
        if (method === 'POST' && action === 'confirm') return this.kki.paymentView(this.kki.confirm(payment, body.approve !== false));
      }
      return undefined;
    }
    if (area === 'checkout') {
      if (method === 'GET' && kind === 'notifications') return { notifications: this.checkout.notifications };
      if (kind === 'orders' && id !== undefined) {
        const order = [...this.checkout.orders.values()].find((o) => o.invoiceNumber === id);
        if (!order) return undefined;
        const view = () => ({
          ...this.checkout.envelope(order),
          pageUrl: `${this.sim.publicUrl}${CHECKOUT_PATHS.page}/${order.pageToken}`,
        });
        if (method === 'GET' && action === undefined) return view();
        if (method === 'POST' && action === 'pay') {
          this.completeOrder(order, body.result === 'FAILED' ? 'FAILED' : 'SUCCESS');
          return view();
        }
        if (method === 'POST' && action === 'refund') {
          this.checkout.refundInBackOffice(order);
          return view();
        }
      }
    }
    return undefined;
  }
}
