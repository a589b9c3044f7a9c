import type { IncomingMessage } from 'node:http';
import { resolveProfiles } from './profiles';
import { createAccount, issueAuthCode } from './handlers/wallet/account';
import { danaNotification, findDana, settleDana, type DanaOutcome } from './handlers/dana/dana';
import { confirmPurchase, findPurchase, purchaseNotification, type PaymentOutcome } from './handlers/wallet/purchase';
import { settleTopUp, topUpNotification } from './handlers/wallet/topup';
import { settleTransfer } from './handlers/wallet/transfer';
import type { FaultInjector } from './faults';
import { formatMoneyValue, parseAmountInput } from './money';
import type { Notifier } from './notifier';
import type { NotificationSettings } from './options';
import type { HttpReply, SubRouter } from './server';
import { jsonReply } from './snap-gate';
import { partnerKeys, resolveNotification, type Sim } from './sim';
import { normalisePhone, STATUS_DESC, type Account, type BusinessRecord, type LedgerEntry } from './store';
import { toJakartaIso } from './time';
import type { TokenService } from './tokens';
import { isObject, type Json } from './validate';

/** A control-API failure: HTTP status and message. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const m = (v: bigint): string => formatMoneyValue(v);

function amountInput(v: unknown, field: string): bigint {
  const parsed = parseAmountInput(v);
  if (parsed === null) throw new ControlError(400, `${field} must be "10000.00", "10000" or 10000`);
  return parsed;
}

export interface CreateAccountInput {
  phoneNo: string;
  name?: string;
  email?: string;
  pin?: string;
  balance?: string | number;
  maxBalance?: string | number;
  /** Bind the new account to this partner (true = the first registered partner) and return an authCode. */
  bindTo?: string | boolean;
}

export interface TransactionView {
  type: BusinessRecord['kind'];
  clientId: string;
  accountId: string;
  partnerReferenceNo: string;
  referenceNo: string;
  amount: string;
  status: string;
  statusDesc: string;
  createdAt: string;
  detail: Record<string, unknown>;
}

/**
 * Test and development controls: the same operations over HTTP (`/_sim/...`) and programmatically
 * (`handle.control`). Ground truth for money tests is `ledger()`.
 */
export class Control {
  constructor(
    private readonly sim: Sim,
    private readonly tokens: TokenService,
    private readonly notifier: Notifier,
    private readonly faults: FaultInjector,
    private readonly onReset: () => void,
  ) {}

  private deps() {
    return { sim: this.sim, notifier: this.notifier };
  }

  lastOtp(phoneNo: string): {
    phoneNo: string;
    otp: string;
    purpose: string;
    referenceNo: string;
    partnerReferenceNo: string;
    sentAt: string;
    expiresAt: string;
  } {
    const rec = this.sim.store.otps.get(normalisePhone(phoneNo));
    if (!rec) throw new ControlError(404, 'no OTP was sent to this phone');
    return { ...rec, sentAt: toJakartaIso(rec.sentAt), expiresAt: toJakartaIso(rec.expiresAt) };
  }

  createAccount(input: CreateAccountInput): {
    accountId: string;
    phoneNo: string;
    pin: string;
    balance: string;
    linkId?: string;
    authCode?: string;
    clientId?: string;
  } {
    if (typeof input.phoneNo !== 'string' || !/^(\+?62|0)\d{7,14}$/.test(input.phoneNo))
      throw new ControlError(400, 'phoneNo must look like 62812…');
    if (this.sim.store.accountByPhone(input.phoneNo)) throw new ControlError(409, 'phoneNo already has an account');
    const pin = input.pin ?? '123456';
    if (!/^\d{6}$/.test(pin)) throw new ControlError(400, 'pin must be 6 digits');
    const sim = this.sim;
    const account = createAccount(
      { sim, now: sim.now() },
      {
        name: input.name ?? 'Test Customer',
        email: input.email ?? `${normalisePhone(input.phoneNo)}@example.test`,
        phoneNo: input.phoneNo,
        pin,
        balance: input.balance !== undefined ? amountInput(input.balance, 'balance') : undefined,
        maxBalance: input.maxBalance !== undefined ? amountInput(input.maxBalance, 'maxBalance') : undefined,
      },
    );
    const out: ReturnType<Control['createAccount']> = {
      accountId: account.accountId,
      phoneNo: account.phoneNo,
      pin,
      balance: m(account.balance),
    };
    if (input.bindTo) {
      const clientId = typeof input.bindTo === 'string' ? input.bindTo : [...sim.store.partners.keys()][0];
      if (!sim.store.partners.has(clientId)) throw new ControlError(404, 'unknown partner');
      const linkId = sim.newLinkId();
      sim.store.bindings.set(`${clientId}|${account.accountId}`, {
        clientId,
        accountId: account.accountId,
        linkId,
        partnerReferenceNo: '',
        referenceNo: sim.newReferenceNo(),
        redirectUrl: '',
        status: 'ACTIVE',
        pinAttempts: 0,
        createdAt: sim.now(),
        fingerprint: '',
      });
      Object.assign(out, { clientId, linkId, authCode: issueAuthCode({ sim, now: sim.now() }, clientId, account.accountId) });
    }
    return out;
  }

  private account(accountId: string): Account {
    const a = this.sim.store.accounts.get(accountId);
    if (!a) throw new ControlError(404, 'unknown account');
    return a;
  }

  getAccount(accountId: string): Record<string, unknown> {
    const a = this.account(accountId);
    const bindings = [...this.sim.store.bindings.values()]
      .filter((b) => b.accountId === accountId)
      .map((b) => ({ clientId: b.clientId, linkId: b.linkId, status: b.status }));
    return {
      accountId: a.accountId,
      phoneNo: a.phoneNo,
      name: a.name,
      status: a.status,
      balance: m(a.balance),
      held: m(a.held),
      available: m(this.sim.store.available(a)),
      maxBalance: m(a.maxBalance),
      bindings,
    };
  }

  updateAccount(
    accountId: string,
    input: { balance?: unknown; maxBalance?: unknown; status?: unknown; pin?: unknown },
  ): Record<string, unknown> {
    const a = this.account(accountId);
    if (input.status !== undefined) {
      if (input.status !== 'ACTIVE' && input.status !== 'BLOCKED') throw new ControlError(400, 'status must be ACTIVE or BLOCKED');
      a.status = input.status;
    }
    if (input.pin !== undefined) {
      if (typeof input.pin !== 'string' || !/^\d{6}$/.test(input.pin)) throw new ControlError(400, 'pin must be 6 digits');
      a.pin = input.pin;
    }
    if (input.maxBalance !== undefined) a.maxBalance = amountInput(input.maxBalance, 'maxBalance');
    if (input.balance !== undefined) {
      const balance = amountInput(input.balance, 'balance');
      if (balance < a.held) throw new ControlError(400, 'balance cannot be below the held amount');
      this.sim.store.adminSet(a, balance, this.sim.now());
    }
    return this.getAccount(accountId);
  }

  private partner(clientId: string) {
    const p = this.sim.store.partners.get(clientId);
    if (!p) throw new ControlError(404, 'unknown partner');
    return p;
  }

  /**
   * A credential rotation at DOKU: the secret DOKU signs notifications with (and accepts), and the
   * older secrets it still accepts on requests. Takes effect for the next request and notification.
   */
  setClientSecrets(clientId: string, secrets: { clientSecret: string; previousClientSecrets?: string[] }): { clientId: string } {
    const p = this.partner(clientId);
    if (!secrets.clientSecret) throw new ControlError(400, 'clientSecret is required');
    p.clientSecret = secrets.clientSecret;
    p.previousClientSecrets = secrets.previousClientSecrets ?? [];
    return { clientId };
  }

  /**
   * A rotation of the partner's RSA key at DOKU: the public keys DOKU verifies the partner's token
   * requests with from now on (one or several PEM blocks). Register the new key beside the old one,
   * then the new one alone. A key kept keeps its count of token requests.
   */
  setPartnerPublicKeys(clientId: string, publicKeyPems: unknown): { publicKeys: Array<{ fingerprint: string; tokenRequests: number }> } {
    const p = this.partner(clientId);
    const pems = typeof publicKeyPems === 'string' ? [publicKeyPems] : publicKeyPems;
    if (!Array.isArray(pems) || pems.length === 0 || !pems.every((pem) => typeof pem === 'string' && pem.includes('-----BEGIN')))
      throw new ControlError(400, 'publicKeyPems must be one or more PEM public keys');
    try {
      p.publicKeys = partnerKeys(pems.join('\n'), p.publicKeys);
    } catch {
      throw new ControlError(400, 'publicKeyPems must be one or more PEM public keys');
    }
    return { publicKeys: this.partnerKeyViews(clientId) };
  }

  private partnerKeyViews(clientId: string): Array<{ fingerprint: string; tokenRequests: number }> {
    return this.partner(clientId).publicKeys.map((k) => ({ fingerprint: k.fingerprint, tokenRequests: k.tokenRequests }));
  }

  /** The key DOKU signs with: its fingerprint and public half. */
  dokuKey(): { fingerprint: string; publicKeyPem: string } {
    return { fingerprint: this.sim.dokuKeyFingerprint, publicKeyPem: this.sim.dokuPublicKeyPem };
  }

  /**
   * DOKU switches the RSA key it signs with (its token requests to partners, asymmetric
   * notifications, its tokens). Cached partner tokens are forgotten, so the next notification
   * begins with a token request signed with the new key.
   */
  setDokuKey(privateKeyPem: unknown): ReturnType<Control['dokuKey']> {
    if (typeof privateKeyPem !== 'string' || !privateKeyPem.includes('PRIVATE KEY'))
      throw new ControlError(400, 'privateKeyPem must be a PEM RSA private key');
    try {
      this.sim.setDokuKey(privateKeyPem);
    } catch {
      throw new ControlError(400, 'privateKeyPem must be a PEM RSA private key');
    }
    this.notifier.forgetTokens();
    return this.dokuKey();
  }

  getPartner(clientId: string): Record<string, unknown> {
    const p = this.partner(clientId);
    const { enabled, baseUrl, path, tokenPath, signature, retryDelaysMs, timeScale, timeoutMs } = p.notification;
    return {
      clientId: p.clientId,
      corporateBalance: m(p.corporateBalance),
      publicKeys: this.partnerKeyViews(clientId),
      notification: { enabled, baseUrl, path, tokenPath, signature, retryDelaysMs, timeScale, timeoutMs },
    };
  }

  setCorporateBalance(clientId: string, balance: unknown): Record<string, unknown> {
    this.partner(clientId).corporateBalance = amountInput(balance, 'balance');
    return this.getPartner(clientId);
  }

  setNotification(clientId: string, settings: NotificationSettings): Record<string, unknown> {
    const p = this.partner(clientId);
    try {
      p.notification = resolveNotification({ ...p.notification, ...settings });
    } catch (e) {
      throw new ControlError(400, e instanceof Error ? e.message : 'invalid settings');
    }
    this.notifier.forgetTokens();
    return this.getPartner(clientId);
  }

  transactions(filter: { partnerReferenceNo?: string; clientId?: string; accountId?: string; type?: string } = {}): TransactionView[] {
    return this.sim.store
      .records()
      .filter(
        (r) =>
          (!filter.partnerReferenceNo || r.partnerReferenceNo === filter.partnerReferenceNo) &&
          (!filter.clientId || r.clientId === filter.clientId) &&
          (!filter.accountId || r.accountId === filter.accountId) &&
          (!filter.type || r.kind === filter.type),
      )
      .map((r) => this.view(r));
  }

  private view(r: BusinessRecord): TransactionView {
    const status = r.kind === 'AUTH' ? (r.closed ? (r.captured > 0n ? '00' : '05') : '01') : r.status;
    const detail: Record<string, unknown> = {};
    if (r.kind === 'PURCHASE') {
      Object.assign(detail, {
        refunded: m(r.refunded),
        refunds: r.refunds.map((x) => ({
          refundNo: x.refundNo,
          partnerRefundNo: x.partnerRefundNo,
          amount: m(x.amount),
          refundTime: toJakartaIso(x.refundTime),
        })),
        paidTime: r.paidTime !== undefined ? toJakartaIso(r.paidTime) : undefined,
        failedReason: r.failedReason,
        pinAttempts: r.pinAttempts,
      });
    } else if (r.kind === 'AUTH') {
      Object.assign(detail, {
        remaining: m(r.remaining),
        captured: m(r.captured),
        voided: m(r.voided),
        captures: r.captures.length,
        voids: r.voids.length,
      });
    } else if (r.kind === 'TRANSFER') {
      Object.assign(detail, { bankCode: r.bankCode, beneficiaryAccountNumber: r.beneficiaryAccountNumber });
    } else {
      Object.assign(detail, { failedReason: r.failedReason });
    }
    return {
      type: r.kind,
      clientId: r.clientId,
      accountId: r.accountId,
      partnerReferenceNo: r.partnerReferenceNo,
      referenceNo: r.referenceNo,
      amount: m(r.amount),
      status,
      statusDesc: STATUS_DESC[status] ?? status,
      createdAt: toJakartaIso(r.kind === 'AUTH' ? r.paidTime : r.createdAt),
      detail,
    };
  }

  /** Ledger rows plus counts: the ground truth of how many debits/credits happened. */
  ledger(filter: { partnerReferenceNo?: string; accountId?: string; clientId?: string; kind?: string } = {}): {
    entries: Array<Omit<LedgerEntry, 'delta' | 'balanceAfter' | 'time'> & { delta: string; balanceAfter: string; time: string }>;
    debitCount: number;
    creditCount: number;
    debitTotal: string;
    creditTotal: string;
  } {
    const rows = this.sim.store.ledger.filter(
      (e) =>
        (!filter.partnerReferenceNo || e.partnerReferenceNo === filter.partnerReferenceNo) &&
        (!filter.accountId || e.accountId === filter.accountId) &&
        (!filter.clientId || e.clientId === filter.clientId) &&
        (!filter.kind || e.kind === filter.kind),
    );
    const business = rows.filter((e) => e.kind !== 'ADMIN_SET');
    const debits = business.filter((e) => e.delta < 0n);
    const credits = business.filter((e) => e.delta > 0n);
    return {
      entries: rows.map((e) => ({ ...e, delta: m(e.delta), balanceAfter: m(e.balanceAfter), time: toJakartaIso(e.time) })),
      debitCount: debits.length,
      creditCount: credits.length,
      debitTotal: m(debits.reduce((s, e) => s - e.delta, 0n)),
      creditTotal: m(credits.reduce((s, e) => s + e.delta, 0n)),
    };
  }

  /** "The user enters the PIN" on a purchase without the HTML page. */
  pay(input: {
    partnerReferenceNo?: string;
    referenceNo?: string;
    clientId?: string;
    pin?: string;
    outcome?: 'success' | 'fail' | 'pending';
  }): PaymentOutcome & { status: string } {
    const p = this.findPurchaseAny(input);
    if (input.outcome !== undefined && !['success', 'fail', 'pending'].includes(input.outcome))
      throw new ControlError(400, 'outcome must be success, fail or pending');
    const result = confirmPurchase(this.deps(), p, { pin: input.pin, outcome: input.outcome });
    if (result.result !== 'WRONG_PIN' && result.result !== 'PENDING') this.sim.store.purchasesByPayToken.delete(p.payToken);
    return { ...result, status: p.status };
  }

  private findPurchaseAny(input: { partnerReferenceNo?: string; referenceNo?: string; clientId?: string }) {
    if (!input.partnerReferenceNo && !input.referenceNo) throw new ControlError(400, 'partnerReferenceNo or referenceNo is required');
    const clients = input.clientId ? [input.clientId] : [...this.sim.store.partners.keys()];
    for (const clientId of clients) {
      const p = findPurchase(this.sim, clientId, { partnerReferenceNo: input.partnerReferenceNo, referenceNo: input.referenceNo });
      if (p) return p;
    }
    throw new ControlError(404, 'unknown purchase');
  }

  /** "The customer approves (or declines) in DANA" without the HTML page. */
  danaPay(input: { partnerReferenceNo?: string; referenceNo?: string; clientId?: string; outcome?: string }): DanaOutcome & {
    status: string;
  } {
    if (input.outcome !== 'approve' && input.outcome !== 'decline') throw new ControlError(400, 'outcome must be approve or decline');
    const p = this.findDanaAny(input);
    const result = settleDana(this.deps(), p, input.outcome);
    return { ...result, status: p.status };
  }

  /** A DANA payment as the simulator holds it: status, amounts, the device it was made on. */
  danaPayment(input: { partnerReferenceNo?: string; referenceNo?: string; clientId?: string }): Record<string, unknown> {
    const p = this.findDanaAny(input);
    return {
      partnerReferenceNo: p.partnerReferenceNo,
      referenceNo: p.referenceNo,
      status: p.status,
      amount: m(p.amount),
      refunded: m(p.refunded),
      deviceId: p.deviceId,
      ipAddress: p.ipAddress ?? null,
      pointOfInitiation: p.pointOfInitiation ?? null,
      refunds: p.refunds.map((r) => ({ partnerRefundNo: r.partnerRefundNo, amount: m(r.amount), status: r.status })),
    };
  }

  /** Every DANA payment of a client (or of all), with its refunds: the ground truth of the DANA channel. */
  danaPayments(filter: { clientId?: string } = {}): Array<{
    partnerReferenceNo: string;
    referenceNo: string;
    status: string;
    amount: string;
    refunds: Array<{ partnerRefundNo: string; amount: string; status: string }>;
  }> {
    return [...this.sim.store.danaPayments.values()]
      .filter((p) => !filter.clientId || p.clientId === filter.clientId)
      .map((p) => ({
        partnerReferenceNo: p.partnerReferenceNo,
        referenceNo: p.referenceNo,
        status: p.status,
        amount: m(p.amount),
        refunds: p.refunds.map((r) => ({ partnerRefundNo: r.partnerRefundNo, amount: m(r.amount), status: r.status })),
      }));
  }

  /** Sends a DANA payment's current state again (DOKU's "Retry Notification"). */
  resendDanaNotification(input: { partnerReferenceNo?: string; clientId?: string }): { sent: true } {
    const p = this.findDanaAny(input);
    const partner = this.sim.store.partners.get(p.clientId);
    if (!partner) throw new ControlError(404, 'unknown partner');
    this.notifier.emit(partner, 'PURCHASE', danaNotification(p));
    return { sent: true };
  }

  private findDanaAny(input: { partnerReferenceNo?: string; referenceNo?: string; clientId?: string }) {
    if (!input.partnerReferenceNo && !input.referenceNo) throw new ControlError(400, 'partnerReferenceNo or referenceNo is required');
    const clients = input.clientId ? [input.clientId] : [...this.sim.store.partners.keys()];
    for (const clientId of clients) {
      const p = findDana(this.sim, clientId, { partnerReferenceNo: input.partnerReferenceNo, referenceNo: input.referenceNo });
      if (p) return p;
    }
    throw new ControlError(404, 'unknown DANA payment');
  }

  /** Settles a pending (`03`) purchase, top-up or transfer to `00` or `06`. */
  resolve(input: { partnerReferenceNo?: string; clientId?: string; status?: string }): TransactionView {
    if (input.status !== '00' && input.status !== '06') throw new ControlError(400, 'status must be "00" or "06"');
    const r = this.sim.store
      .records()
      .find((x) => x.partnerReferenceNo === input.partnerReferenceNo && (!input.clientId || x.clientId === input.clientId));
    if (!r || r.kind === 'AUTH') throw new ControlError(404, 'unknown transaction');
    if (r.status !== '03') throw new ControlError(409, `transaction is not pending (status ${r.status})`);
    if (r.kind === 'PURCHASE') {
      confirmPurchase(this.deps(), r, { outcome: input.status === '00' ? 'success' : 'fail' });
    } else if (r.kind === 'TOP_UP') {
      if (input.status === '00') settleTopUp(this.deps(), r);
      else r.status = '06';
    } else if (input.status === '00') settleTransfer(this.sim, r);
    else r.status = '06';
    return this.view(r);
  }

  setFaults(rules: unknown, seed?: unknown): ReturnType<FaultInjector['list']> {
    try {
      this.faults.set(
        rules,
        seed === undefined
          ? undefined
          : typeof seed === 'string' || typeof seed === 'number' || typeof seed === 'boolean'
            ? String(seed)
            : JSON.stringify(seed),
      );
    } catch (e) {
      throw new ControlError(400, e instanceof Error ? e.message : 'invalid rules');
    }
    return this.faults.list();
  }

  listFaults(): ReturnType<FaultInjector['list']> {
    return this.faults.list();
  }

  /** Each fault that fired since the rules were set, with the operation it hit (reference or `amount:<value>`). */
  faultFirings(filter: { endpoint?: string; type?: string } = {}): ReturnType<FaultInjector['firings']> {
    return this.faults
      .firings()
      .filter((f) => (!filter.endpoint || f.endpoint === filter.endpoint) && (!filter.type || f.type === filter.type));
  }

  clearFaults(): ReturnType<FaultInjector['list']> {
    this.faults.clear();
    return this.faults.list();
  }

  revokeTokens(filter: { clientId?: string; accountId?: string; kind?: 'b2b' | 'b2b2c' | 'all' }): { revoked: number } {
    if (filter.kind !== undefined && !['b2b', 'b2b2c', 'all'].includes(filter.kind))
      throw new ControlError(400, 'kind must be b2b, b2b2c or all');
    return { revoked: this.tokens.revoke(filter) };
  }

  notifications(filter: { partnerReferenceNo?: string } = {}): Array<Record<string, unknown>> {
    return this.notifier.deliveries
      .filter((d) => !filter.partnerReferenceNo || d.partnerReferenceNo === filter.partnerReferenceNo)
      .map((d) => ({ ...d, body: JSON.parse(d.body) as unknown }));
  }

  /** Sends the current state of a purchase or top-up again (DOKU's "Retry Notification"). */
  resendNotification(input: { partnerReferenceNo?: string; clientId?: string }): { queued: boolean } {
    const r = this.sim.store
      .records()
      .find((x) => x.partnerReferenceNo === input.partnerReferenceNo && (!input.clientId || x.clientId === input.clientId));
    if (!r || (r.kind !== 'PURCHASE' && r.kind !== 'TOP_UP')) throw new ControlError(404, 'unknown purchase or top-up');
    const partner = this.partner(r.clientId);
    if (!partner.notification.enabled || !partner.notification.baseUrl)
      throw new ControlError(409, 'notifications are off for this partner');
    const now = this.sim.now();
    if (r.kind === 'PURCHASE') this.notifier.emit(partner, 'PURCHASE', purchaseNotification(r, 'PURCHASE', now));
    else this.notifier.emit(partner, 'TOP_UP', topUpNotification(r, now));
    return { queued: true };
  }

  clock(): { now: string; epochMs: number; offsetMs: number } {
    const now = this.sim.now();
    return { now: toJakartaIso(now), epochMs: now, offsetMs: this.sim.clockOffsetMs };
  }

  advanceClock(ms: unknown): ReturnType<Control['clock']> {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new ControlError(400, 'advanceMs must be a number');
    this.sim.clockOffsetMs += ms;
    return this.clock();
  }

  /** The answer profiles in force (src/profiles.ts), and how long `late-status` lags. */
  profiles(): { profiles: string[]; lateStatusMs: number } {
    return { profiles: [...this.sim.profiles], lateStatusMs: this.sim.lateStatusMs };
  }

  setProfiles(profiles: unknown, lateStatusMs?: unknown): ReturnType<Control['profiles']> {
    if (!Array.isArray(profiles) || !profiles.every((p) => typeof p === 'string'))
      throw new ControlError(400, 'profiles must be a list of names');
    try {
      this.sim.profiles = resolveProfiles(profiles);
    } catch (e) {
      throw new ControlError(400, (e as Error).message);
    }
    if (lateStatusMs !== undefined) {
      if (typeof lateStatusMs !== 'number' || !Number.isFinite(lateStatusMs) || lateStatusMs < 0)
        throw new ControlError(400, 'lateStatusMs must be a non-negative number');
      this.sim.lateStatusMs = lateStatusMs;
    }
    return this.profiles();
  }

  reset(): { reset: true } {
    this.sim.resetState();
    this.notifier.reset();
    this.faults.clear();
    this.onReset();
    return { reset: true };
  }

  summary(): Record<string, unknown> {
    const s = this.sim.store;
    return {
      seed: this.sim.seed,
      now: toJakartaIso(this.sim.now()),
      partners: [...s.partners.keys()],
      accounts: s.accounts.size,
      purchases: s.purchases.size,
      danaPayments: s.danaPayments.size,
      transfers: s.transfers.size,
      topUps: s.topUps.size,
      auths: s.auths.size,
      ledgerEntries: s.ledger.length,
      notifications: this.notifier.deliveries.length,
    };
  }
}

/** `/_sim/...` over HTTP: JSON in, JSON out. */
export class ControlRouter implements SubRouter {
  constructor(private readonly control: Control) {}

  handle(req: IncomingMessage, pathname: string, search: URLSearchParams, raw: Buffer): HttpReply | undefined {
    let body: Json = {};
    if (raw.length > 0) {
      try {
        const parsed: unknown = JSON.parse(raw.toString('utf8'));
        if (!isObject(parsed)) return jsonReply(400, { error: 'body must be a JSON object' });
        body = parsed;
      } catch {
        return jsonReply(400, { error: 'invalid JSON' });
      }
    }
    try {
      const result = this.route(req.method ?? 'GET', pathname, search, body);
      return result === undefined ? jsonReply(404, { error: 'unknown control route' }) : jsonReply(200, result);
    } catch (e) {
      if (e instanceof ControlError) return jsonReply(e.status, { error: e.message });
      throw e;
    }
  }

  private route(method: string, path: string, q: URLSearchParams, b: Json): unknown {
    const c = this.control;
    const qs = (k: string): string | undefined => q.get(k) ?? undefined;
    const seg = path.split('/').filter(Boolean); // ['_sim', ...]
    const route = `${method} /${seg
      .slice(1)
      .map((s, i) => (i === 1 && ['accounts', 'partners'].includes(seg[1] ?? '') ? ':id' : s))
      .join('/')}`;
    const id = decodeURIComponent(seg[2] ?? '');
    switch (route) {
      case 'GET /':
      case 'GET /state':
        return c.summary();
      case 'POST /reset':
        return c.reset();
      case 'GET /otp':
        return c.lastOtp(qs('phoneNo') ?? '');
      case 'POST /accounts':
        return c.createAccount(b as unknown as CreateAccountInput);
      case 'GET /accounts/:id':
        return c.getAccount(id);
      case 'POST /accounts/:id':
        return c.updateAccount(id, b);
      case 'GET /partners/:id':
        return c.getPartner(id);
      case 'POST /partners/:id/corporate-balance':
        return c.setCorporateBalance(id, b.balance);
      case 'POST /partners/:id/notification':
        return c.setNotification(id, b);
      case 'PUT /partners/:id/public-keys':
        return c.setPartnerPublicKeys(id, b.publicKeyPems);
      case 'GET /doku-key':
        return c.dokuKey();
      case 'PUT /doku-key':
        return c.setDokuKey(b.privateKeyPem);
      case 'GET /transactions':
        return c.transactions({
          partnerReferenceNo: qs('partnerReferenceNo'),
          clientId: qs('clientId'),
          accountId: qs('accountId'),
          type: qs('type'),
        });
      case 'GET /ledger':
        return c.ledger({
          partnerReferenceNo: qs('partnerReferenceNo'),
          clientId: qs('clientId'),
          accountId: qs('accountId'),
          kind: qs('kind'),
        });
      case 'POST /purchases/pay':
        return c.pay(b);
      case 'POST /dana/pay':
        return c.danaPay(b);
      case 'GET /dana/payments':
        return qs('partnerReferenceNo') || qs('referenceNo')
          ? c.danaPayment({ partnerReferenceNo: qs('partnerReferenceNo'), referenceNo: qs('referenceNo'), clientId: qs('clientId') })
          : c.danaPayments({ clientId: qs('clientId') });
      case 'POST /dana/notifications/send':
        return c.resendDanaNotification(b);
      case 'POST /transactions/resolve':
        return c.resolve(b);
      case 'GET /faults':
        return c.listFaults();
      case 'POST /faults':
        return c.setFaults(b.rules, b.seed);
      case 'DELETE /faults':
        return c.clearFaults();
      case 'GET /faults/firings':
        return c.faultFirings({ endpoint: qs('endpoint'), type: qs('type') });
      case 'POST /tokens/revoke':
        return c.revokeTokens(b);
      case 'GET /notifications':
        return c.notifications({ partnerReferenceNo: qs('partnerReferenceNo') });
      case 'POST /notifications/send':
        return c.resendNotification(b);
      case 'GET /profiles':
        return c.profiles();
      case 'PUT /profiles':
        return c.setProfiles(b.profiles, b.lateStatusMs);
      case 'GET /clock':
        return c.clock();
      case 'POST /clock':
        return c.advanceClock(b.advanceMs);
      default:
        return undefined;
    }
  }
}
