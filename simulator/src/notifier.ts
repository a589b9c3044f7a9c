import { randomBytes } from 'node:crypto';
import { hmacSha512Base64, rsaSignBase64, sha256Hex, tokenStringToSign } from './crypto';
import type { FaultInjector } from './faults';
import type { Sim } from './sim';
import type { Partner } from './store';
import { toJakartaIso } from './time';

/**
 * DOKU → partner notifications (docs/doku-integration.md#notifications): a token handshake with the partner
 * (RSA over `clientId|timestamp` with DOKU's private key; one request at a time per partner, shared by
 * concurrent notifications), then the signed POST, retried until the partner answers HTTP 200 with the
 * documented acknowledgement `2005600`. Notifications of one transaction go out in the order they happened:
 * each waits for the previous one of the same transaction to be delivered or given up, unless a
 * fault or the `reordered-notifications` profile reorders them.
 */
export const NOTIFY_ACK_CODE = '2005600';
export type NotificationEventType = 'PURCHASE' | 'REFUND' | 'TOP_UP';

export interface NotificationAttempt {
  at: string;
  /** Fingerprint of the DOKU key in force: it signs the token request (when one is needed) and an asymmetric notification. */
  dokuKey: string;
  httpStatus?: number;
  responseCode?: string;
  error?: string;
}

export interface DeliveryRecord {
  id: number;
  clientId: string;
  eventType: NotificationEventType;
  partnerReferenceNo: string;
  latestTransactionStatus: string;
  url: string;
  status: 'scheduled' | 'held' | 'delivered' | 'failed';
  duplicate: boolean;
  attempts: NotificationAttempt[];
  body: string;
  /** Called once the record is delivered or given up (the next of its transaction may go). */
  onSettled?: () => void;
}

export class Notifier {
  readonly deliveries: DeliveryRecord[] = [];
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  private readonly tokenRequests = new Map<string, Promise<string>>();
  /** Per partner and transaction: the end of the last delivery queued, so the next one follows it. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly held = new Map<string, DeliveryRecord[]>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly sim: Sim,
    private readonly faults: FaultInjector,
  ) {}

  /** Queues a notification for `partner` if its notifications are switched on. */
  emit(partner: Partner, eventType: NotificationEventType, body: Record<string, unknown>): void {
    const cfg = partner.notification;
    if (!cfg.enabled || !cfg.baseUrl || this.closed) return;
    const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
    const partnerRef = text(body.originalPartnerReferenceNo);
    const status = text(body.latestTransactionStatus);
    const decision = this.faults.decide('notification', `${eventType}|${partnerRef}|${status}`);
    // reordered-notifications: about half of the notifications wait for the next one (seeded).
    if (this.sim.has('reordered-notifications') && !decision.notifyOutOfOrder && this.sim.rng.next() < 0.5) {
      decision.notifyOutOfOrder = true;
      decision.notifyHoldMs = 2_000;
    }
    const record = this.newRecord(partner, eventType, partnerRef, status, JSON.stringify(body), false);
    const released = this.held.get(partner.clientId) ?? [];
    this.held.delete(partner.clientId);
    const releaseAll = async (): Promise<void> => {
      for (const r of released) {
        r.status = 'scheduled';
        await this.attempt(partner, r, 0);
      }
    };
    if (decision.notifyOutOfOrder) {
      record.status = 'held';
      this.held.set(partner.clientId, [record]);
      // Released right after the next notification has been attempted, or after the hold time.
      this.later(decision.notifyHoldMs, () => this.releaseHeld(partner, record));
      this.later(0, releaseAll);
    } else if (released.length > 0) {
      // The new notification goes first; anything held back follows it (out of order).
      this.later((cfg.retryDelaysMs[0] ?? 0) * cfg.timeScale, async () => {
        await this.attempt(partner, record, 0);
        await releaseAll();
      });
    } else {
      // In order within the transaction: after the previous notification of the same transaction
      // is delivered or given up (retries included).
      const chainKey = `${partner.clientId}|${partnerRef}`;
      const previous = this.chains.get(chainKey) ?? Promise.resolve();
      const done = previous.then(
        () =>
          new Promise<void>((resolve) => {
            record.onSettled = resolve;
            this.later((cfg.retryDelaysMs[0] ?? 0) * cfg.timeScale, () => this.attempt(partner, record, 0));
          }),
      );
      this.chains.set(chainKey, done);
      void done.then(() => {
        if (this.chains.get(chainKey) === done) this.chains.delete(chainKey);
      });
    }
    if (decision.notifyDuplicate) this.schedule(partner, this.newRecord(partner, eventType, partnerRef, status, record.body, true), 0);
  }

  private releaseHeld(partner: Partner, record: DeliveryRecord): void {
    const list = this.held.get(partner.clientId);
    if (!list || !list.includes(record)) return;
    this.held.delete(partner.clientId);
    record.status = 'scheduled';
    this.attempt(partner, record, 0).catch(() => undefined);
  }

  private newRecord(
    partner: Partner,
    eventType: NotificationEventType,
    ref: string,
    status: string,
    body: string,
    duplicate: boolean,
  ): DeliveryRecord {
    const record: DeliveryRecord = {
      id: this.nextId++,
      clientId: partner.clientId,
      eventType,
      partnerReferenceNo: ref,
      latestTransactionStatus: status,
      url: `${partner.notification.baseUrl}${partner.notification.path}`,
      status: 'scheduled',
      duplicate,
      attempts: [],
      body,
    };
    this.deliveries.push(record);
    return record;
  }

  private schedule(partner: Partner, record: DeliveryRecord, attemptIndex: number): void {
    const delay = (partner.notification.retryDelaysMs[attemptIndex] ?? 0) * partner.notification.timeScale;
    this.later(delay, () => this.attempt(partner, record, attemptIndex));
  }

  private later(ms: number, fn: () => unknown): void {
    if (this.closed) return;
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        Promise.resolve(fn()).catch(() => undefined);
      },
      Math.max(0, Math.round(ms)),
    );
    t.unref();
    this.timers.add(t);
  }

  private async attempt(partner: Partner, record: DeliveryRecord, attemptIndex: number): Promise<void> {
    if (this.closed) return;
    const cfg = partner.notification;
    const attempt: NotificationAttempt = { at: toJakartaIso(this.sim.now()), dokuKey: this.sim.dokuKeyFingerprint };
    record.attempts.push(attempt);
    try {
      const token = await this.partnerToken(partner);
      const timestamp = toJakartaIso(this.sim.now());
      // pretty-notifications: signed over the minified body (as DOKU's libraries sign), sent pretty-printed.
      const sent = this.sim.has('pretty-notifications') ? JSON.stringify(JSON.parse(record.body) as unknown, null, 2) : record.body;
      const hash = sha256Hex(record.body);
      const signature =
        cfg.signature === 'asymmetric'
          ? rsaSignBase64(this.sim.dokuPrivateKey, `POST:${cfg.path}:${hash}:${timestamp}`)
          : hmacSha512Base64(partner.clientSecret, `POST:${cfg.path}:${token}:${hash}:${timestamp}`);
      const res = await fetch(`${cfg.baseUrl}${cfg.path}`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${token}`,
          'X-TIMESTAMP': timestamp,
          'X-SIGNATURE': signature,
          'X-PARTNER-ID': partner.clientId,
          'X-EXTERNAL-ID': externalId(),
        },
        body: sent,
        signal: AbortSignal.timeout(cfg.timeoutMs),
      });
      attempt.httpStatus = res.status;
      const text = await res.text();
      attempt.responseCode = parseResponseCode(text);
      if (res.status === 401) this.tokens.delete(partner.clientId);
      // Delivered only on the documented acknowledgement, not on any 200 family code.
      if (res.status === 200 && attempt.responseCode === NOTIFY_ACK_CODE) {
        record.status = 'delivered';
        record.onSettled?.();
        this.sim.log({ msg: 'notification delivered', clientId: partner.clientId, eventType: record.eventType, attempt: attemptIndex + 1 });
        return;
      }
    } catch (err) {
      attempt.error = err instanceof Error ? err.message.slice(0, 200) : 'error';
    }
    if (attemptIndex + 1 < cfg.retryDelaysMs.length && !this.closed) {
      this.schedule(partner, record, attemptIndex + 1);
    } else {
      record.status = 'failed';
      record.onSettled?.();
      this.sim.log({
        msg: 'notification failed',
        clientId: partner.clientId,
        eventType: record.eventType,
        attempts: record.attempts.length,
      });
    }
  }

  /** The token handshake: DOKU fetches a token from the partner. Cached until shortly before it expires. */
  private async partnerToken(partner: Partner): Promise<string> {
    const cached = this.tokens.get(partner.clientId);
    if (cached && this.sim.now() < cached.expiresAt) return cached.token;
    // Single flight: concurrent notifications share one token request.
    let pending = this.tokenRequests.get(partner.clientId);
    if (!pending) {
      pending = this.requestPartnerToken(partner).finally(() => this.tokenRequests.delete(partner.clientId));
      this.tokenRequests.set(partner.clientId, pending);
    }
    return pending;
  }

  private async requestPartnerToken(partner: Partner): Promise<string> {
    const cfg = partner.notification;
    const timestamp = toJakartaIso(this.sim.now());
    const res = await fetch(`${cfg.baseUrl}${cfg.tokenPath}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-CLIENT-KEY': partner.clientId,
        'X-TIMESTAMP': timestamp,
        'X-SIGNATURE': rsaSignBase64(this.sim.dokuPrivateKey, tokenStringToSign(partner.clientId, timestamp)),
      },
      body: JSON.stringify({ grantType: 'client_credentials' }),
      signal: AbortSignal.timeout(cfg.timeoutMs),
    });
    const text = await res.text();
    let parsed: { accessToken?: unknown; expiresIn?: unknown } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      /* handled below */
    }
    if (res.status !== 200 || typeof parsed.accessToken !== 'string')
      throw new Error(`partner token request failed with HTTP ${res.status}`);
    const expiresIn = typeof parsed.expiresIn === 'number' ? parsed.expiresIn : 900;
    this.tokens.set(partner.clientId, { token: parsed.accessToken, expiresAt: this.sim.now() + Math.max(0, expiresIn - 10) * 1000 });
    return parsed.accessToken;
  }

  forgetTokens(): void {
    this.tokens.clear();
  }

  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.held.clear();
    this.chains.clear();
    this.deliveries.length = 0;
    this.tokens.clear();
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

function externalId(): string {
  const n = BigInt(`0x${randomBytes(12).toString('hex')}`)
    .toString()
    .padStart(29, '0');
  return n.slice(0, 32);
}

function parseResponseCode(text: string): string | undefined {
  try {
    const v = (JSON.parse(text) as { responseCode?: unknown }).responseCode;
    return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  } catch {
    return undefined;
  }
}
