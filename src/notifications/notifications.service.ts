import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { createHash, KeyObject } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import { Failpoints } from '../common/failpoints';
import { AppConfigService } from '../config/app-config.service';
import { parsePublicKey, verifyNotificationAsymmetric, verifyNotificationSymmetric } from '../integrations/doku/doku-signature';
import { PurchaseStatusService } from '../purchase/purchase-status.service';
import { MetricsService } from '../metrics/metrics.service';
import { PurchasesRepository } from '../purchase/purchases.repository';
import { NotificationSignatureKind } from './entities/doku-notification.entity';
import { minifyJson } from './json-minify';
import { NotificationTokenService, withinWindow } from './notification-token.service';
import { NotificationsRepository } from './notifications.repository';
import { SnapError } from './snap-error';

export interface IncomingNotification {
  headers: Record<string, string | string[] | undefined>;
  /** The bytes as received: the signature covers exactly these (§2.5, §2.10). */
  rawBody: Buffer | undefined;
}

export interface SnapAcknowledgement {
  responseCode: string;
  responseMessage: string;
}

// Never stored: they authenticate the request and are of no use afterwards.
const SECRET_HEADERS = new Set(['authorization', 'authorization-customer', 'x-signature', 'cookie']);

const logger = new Logger('DokuNotifications');

/** The most one sweep takes at once. */
const SWEEP_BATCH = 200;

interface Held {
  id: string;
  partnerReferenceNo: string | null;
}

/**
 * The notify endpoint of §2.8: verify (our token, then the HMAC form, then the RSA form), store
 * before acknowledging, acknowledge, and only then process: a notification is a hint, confirmed
 * with Query Purchase and applied through the state machine, so a forged, replayed or out-of-order
 * notification can never move a state by itself.
 *
 * Processing is a hint that can wait; the acknowledgement is what DOKU times. So a few
 * notifications are processed at once (`NOTIFICATION_PROCESSING_CONCURRENCY`) and the others wait
 * in arrival order, in memory up to `NOTIFICATION_QUEUE_LIMIT`: a burst never takes the CPU and
 * the database pool from the next acknowledgements, and never grows memory without bound. The
 * instance that stores a notification holds it (a lease in its row) while it waits; a sweep on
 * start, every `NOTIFICATION_SWEEP_INTERVAL_MS`, and whenever the queue runs low while more may
 * wait, takes what nobody holds: notifications past the queue limit, those of an instance that
 * died, and those whose processing failed (retried a lease later, given up after
 * `NOTIFICATION_MAX_ATTEMPTS`).
 */
@Injectable()
export class NotificationsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly dokuPublicKey: KeyObject;
  private readonly failpoints: Failpoints;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiting: Held[] = [];
  /** Ids waiting or in flight here: a sweep does not queue what this instance already has. */
  private readonly queued = new Set<string>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private sweepRunning = false;
  /** Some stored notifications may be held by nobody: the last sweep filled all its room, or one was stored past the queue limit. */
  private moreUnheld = false;
  private stopped = false;
  private readonly outcomes: Counter<'outcome'>;
  private readonly verifiedForms: Counter<'signature' | 'body'>;

  constructor(
    private readonly repository: NotificationsRepository,
    private readonly tokens: NotificationTokenService,
    private readonly purchases: PurchasesRepository,
    private readonly status: PurchaseStatusService,
    private readonly config: AppConfigService,
    metrics: MetricsService,
  ) {
    this.dokuPublicKey = parsePublicKey(config.doku.dokuPublicKeyPem);
    this.failpoints = new Failpoints(config.app.failpoints);
    this.outcomes = new Counter({
      name: 'doku_notifications_processed_total',
      help: 'Stored DOKU notifications processed, by outcome (processed, failed, gave_up, swept)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
    this.verifiedForms = new Counter({
      name: 'doku_notifications_verified_total',
      help: 'DOKU notifications accepted, by the signature form and the body form (exact bytes or minified) that matched',
      labelNames: ['signature', 'body'] as const,
      registers: [metrics.registry],
    });
    const waiting = () => this.waiting.length;
    new Gauge({
      name: 'doku_notifications_waiting',
      help: 'Notifications waiting in this instance for processing',
      registers: [metrics.registry],
      collect() {
        this.set(waiting());
      },
    });
    const backlog = () => this.repository.backlog();
    new Gauge({
      name: 'doku_notifications_oldest_unprocessed_age_seconds',
      help: 'Age of the oldest stored notification not processed yet (all instances)',
      registers: [metrics.registry],
      async collect() {
        this.set((await backlog()).oldestAgeSeconds);
      },
    });
  }

  onApplicationBootstrap(): void {
    const tick = () => {
      this.kickSweep();
      if (!this.stopped) this.sweepTimer = setTimeout(tick, this.config.notifications.sweepIntervalMs);
    };
    // At once: what a previous process stored and never processed is taken over on start.
    this.sweepTimer = setTimeout(tick, 0);
  }

  async receive(input: IncomingNotification): Promise<SnapAcknowledgement> {
    const header = (name: string): string | undefined => {
      const value = input.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const authorization = header('authorization');
    // The auth scheme is case-insensitive (RFC 7235); the token itself is compared exactly.
    const bearer = authorization ? /^bearer[ ]+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
    if (!bearer || !(await this.tokens.isLive(bearer))) throw new SnapError(401, '4015601', 'Invalid Token (B2B)');
    // DOKU names the partner the notification is for: it must be us (our DOKU client id).
    if (header('x-partner-id') !== this.config.doku.clientId) throw new SnapError(401, '4015600', 'Unauthorized. Unknown X-PARTNER-ID');

    const timestamp = header('x-timestamp');
    const signature = header('x-signature');
    const rawBody = input.rawBody?.toString('utf8') ?? '';
    if (!withinWindow(timestamp) || !signature) throw new SnapError(401, '4015600', 'Unauthorized. Invalid Signature');
    const verified = this.verify(rawBody, timestamp as string, signature, bearer);
    if (!verified) throw new SnapError(401, '4015600', 'Unauthorized. Invalid Signature');
    const kind = verified.kind;
    // Which signature and which body form DOKU uses is to be confirmed at onboarding: say which matched.
    this.verifiedForms.inc({ signature: kind, body: verified.body });
    logger.debug(`DOKU notification verified with the ${kind} signature over the ${verified.body} body`);

    const body = parseNotification(rawBody);
    if (!body) throw new SnapError(400, '4005601', 'Invalid Field Format');
    const externalId = header('x-external-id') ?? null;
    const partnerReferenceNo = body.originalPartnerReferenceNo ?? null;
    // One delivery per X-EXTERNAL-ID: DOKU resending the same delivery is acknowledged and changes
    // nothing. Without one, the content names the delivery.
    const dedupeKey = createHash('sha256')
      .update(externalId ? `x-external-id|${externalId}` : `${partnerReferenceNo ?? ''}|${body.originalReferenceNo ?? ''}|${body.latestTransactionStatus}|`)
      .digest('hex');
    const { queueLimit, leaseSeconds } = this.config.notifications;
    const keepHere = this.waiting.length < queueLimit;
    const id = await this.repository.storeOnce(
      {
        dedupeKey,
        partnerReferenceNo,
        dokuReferenceNo: body.originalReferenceNo ?? null,
        latestTransactionStatus: body.latestTransactionStatus,
        externalId,
        signatureKind: kind,
        rawBody,
        headers: storableHeaders(input.headers),
      },
      keepHere ? leaseSeconds : null,
    );
    if (!id && externalId) {
      // The same X-EXTERNAL-ID again: a replay of that delivery, unless its content differs, which
      // is not a replay and must not be acknowledged as one (nothing is stored; DOKU may retry).
      const stored = await this.repository.rawBodyOf(dedupeKey);
      if (stored !== undefined && minifyJson(stored) !== minifyJson(rawBody)) {
        throw new SnapError(409, '4095600', 'Conflict: X-EXTERNAL-ID already used for another notification');
      }
    }
    this.failpoints.hit('notification.after-store');
    // A replay of a stored delivery is acknowledged again and changes nothing.
    if (id && keepHere) this.enqueue({ id, partnerReferenceNo });
    if (id && !keepHere) {
      this.moreUnheld = true;
      this.refill();
    }
    return { responseCode: '2005600', responseMessage: 'Successful' };
  }

  /**
   * Takes over stored notifications nobody holds, as many as the queue has room for (at least
   * one round of processing, so a queue limit of 0 still makes progress). Returns how many it took.
   */
  async sweep(): Promise<number> {
    const { queueLimit, processingConcurrency, leaseSeconds } = this.config.notifications;
    const room = Math.min(SWEEP_BATCH, Math.max(queueLimit, processingConcurrency) - this.waiting.length);
    if (room <= 0 || this.stopped) return 0;
    const taken = await this.repository.claimUnheld(room, leaseSeconds);
    this.moreUnheld = taken.length === room;
    let added = 0;
    for (const held of taken) {
      if (this.queued.has(held.id)) continue;
      this.enqueue(held);
      added++;
    }
    if (added > 0) {
      this.outcomes.inc({ outcome: 'swept' }, added);
      logger.log(`Took over ${added} stored notification(s) nobody was processing`);
    }
    return added;
  }

  /**
   * Stops sweeping, gives back what waits here (another instance, or the next start, takes it over
   * at once) and lets what is in flight finish before the database goes away.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    await this.sweeping;
    const given = this.waiting.splice(0).map((h) => h.id);
    for (const id of given) this.queued.delete(id);
    await this.repository.release(given).catch((error: unknown) => logger.warn(`Could not give back ${given.length} notification(s): ${(error as Error).message}`));
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * The exact bytes first; then the canonical minified form (whitespace outside strings removed),
   * which is what DOKU's own libraries sign even when the body travels pretty-printed. Each with
   * the symmetric form, then the asymmetric one.
   */
  private verify(rawBody: string, timestamp: string, signature: string, bearer: string): { kind: NotificationSignatureKind; body: 'exact' | 'minified' } | undefined {
    const path = this.config.doku.notificationPath;
    const check = (body: string): NotificationSignatureKind | undefined => {
      if (verifyNotificationSymmetric({ path, bearerToken: bearer, rawBody: body, timestamp, signature, clientSecret: this.config.doku.clientSecret })) {
        return 'symmetric';
      }
      if (verifyNotificationAsymmetric({ path, rawBody: body, timestamp, signature, dokuPublicKey: this.dokuPublicKey })) return 'asymmetric';
      return undefined;
    };
    const exact = check(rawBody);
    if (exact) return { kind: exact, body: 'exact' };
    const minified = minifyJson(rawBody);
    if (minified === rawBody) return undefined;
    const kind = check(minified);
    return kind ? { kind, body: 'minified' } : undefined;
  }

  /** One sweep at a time: on the timer, and at once when the queue runs low while more may wait unheld. */
  private kickSweep(): void {
    if (this.sweepRunning || this.stopped) return;
    this.sweepRunning = true;
    this.sweeping = this.sweep()
      .then(() => undefined)
      .catch((error: unknown) => logger.warn(`Notification sweep failed: ${(error as Error).message}`))
      .finally(() => {
        this.sweepRunning = false;
      });
  }

  /**
   * Past the queue limit, notifications wait in the table only: the sweep follows the queue, so
   * processing never idles until the next timer while they wait.
   */
  private refill(): void {
    if (this.moreUnheld && this.waiting.length <= this.config.notifications.processingConcurrency) this.kickSweep();
  }

  private enqueue(held: Held): void {
    this.queued.add(held.id);
    this.waiting.push(held);
    this.startWaiting();
  }

  private startWaiting(): void {
    while (this.inFlight.size < this.config.notifications.processingConcurrency && this.waiting.length > 0) {
      const { id, partnerReferenceNo } = this.waiting.shift()!;
      const job: Promise<void> = this.process(id, partnerReferenceNo)
        .then(
          () => this.outcomes.inc({ outcome: 'processed' }),
          (error: unknown) => this.failed(id, error),
        )
        .finally(() => {
          this.inFlight.delete(job);
          this.queued.delete(id);
          this.startWaiting();
          this.refill();
        });
      this.inFlight.add(job);
    }
  }

  /** Counted against the notification; a sweep retries it a lease later (the reconciler settles the purchase anyway). */
  private async failed(id: string, error: unknown): Promise<void> {
    const message = (error as Error)?.message ?? String(error);
    logger.warn(`Notification ${id} not processed: ${message}`);
    this.outcomes.inc({ outcome: 'failed' });
    try {
      if (await this.repository.recordFailure(id, this.config.notifications.maxAttempts, message)) {
        this.outcomes.inc({ outcome: 'gave_up' });
        logger.warn(`Notification ${id} given up after ${this.config.notifications.maxAttempts} attempts; the reconciler settles its transaction`);
      }
    } catch (e) {
      logger.warn(`Could not record the failed attempt of notification ${id}: ${(e as Error).message}`);
    }
  }

  private async process(id: string, partnerReferenceNo: string | null): Promise<void> {
    const purchase = partnerReferenceNo ? await this.purchases.findByPartnerReference(partnerReferenceNo) : null;
    if (!purchase) {
      await this.repository.markProcessed(id, 'no purchase with this reference');
      return;
    }
    const status = await this.status.confirm(purchase);
    await this.repository.markProcessed(id, `confirmed by Query Purchase: ${status}`);
  }
}

interface NotificationFields {
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  latestTransactionStatus: string;
}

/** The few fields we read; everything else stays in the stored raw body. */
function parseNotification(rawBody: string): NotificationFields | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const o = parsed as Record<string, unknown>;
  const ref = (v: unknown) => v === undefined || (typeof v === 'string' && v.length <= 64);
  if (!ref(o.originalPartnerReferenceNo) || !ref(o.originalReferenceNo)) return undefined;
  if (typeof o.latestTransactionStatus !== 'string' || !/^\d{2}$/.test(o.latestTransactionStatus)) return undefined;
  if (o.originalPartnerReferenceNo === undefined && o.originalReferenceNo === undefined) return undefined;
  return {
    originalPartnerReferenceNo: o.originalPartnerReferenceNo as string | undefined,
    originalReferenceNo: o.originalReferenceNo as string | undefined,
    latestTransactionStatus: o.latestTransactionStatus,
  };
}

function storableHeaders(headers: IncomingNotification['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (SECRET_HEADERS.has(name.toLowerCase()) || value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
