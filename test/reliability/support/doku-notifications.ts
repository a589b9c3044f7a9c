import type { KeyObject } from 'node:crypto';
import { createHash, createHmac, createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { defaultPartnersFile } from '../../../simulator/src';
import { jakartaTimestamp } from '../../../src/integrations/doku/snap/doku-signature';
import type { TransactionStatus } from '../../../src/transactions/transaction-state';
import type { Rng } from './harness';
import type { BatteryHttp, RawResponse } from './http-client';

/** DOKU's token request to us (the token handshake, docs/doku-integration.md#notifications). */
export const NOTIFICATION_TOKEN_PATH = '/authorization/v1/access-token/b2b';

/** DOKU's private key in the development partner registry; the app's configured DOKU public key is its public half. */
export function dokuPrivateKeyPem(): string {
  return (JSON.parse(readFileSync(defaultPartnersFile(), 'utf8')) as { dokuPrivateKeyPem: string }).dokuPrivateKeyPem;
}

const sha256Hex = (body: string | Buffer): string => createHash('sha256').update(body).digest('hex');
const rsaSign = (text: string, key: string | KeyObject): string => createSign('RSA-SHA256').update(text, 'utf8').sign(key, 'base64');

export type SignatureForm = 'symmetric' | 'asymmetric';

export interface NotificationSignOptions {
  /** The bearer token the app issued to "DOKU"; omitted: no Authorization header at all. */
  token?: string;
  form?: SignatureForm;
  /** X-TIMESTAMP; default now. */
  timestamp?: string;
  externalId: string;
  /** Another HMAC secret than the partner's client secret (a wrong key). */
  clientSecret?: string;
  /** Another RSA key than DOKU's (a wrong key). */
  privateKey?: string | KeyObject;
  /** The path put in the string to sign; default the app's notify path. */
  signedPath?: string;
  /** The bytes the signature covers, when they differ from the bytes sent (a tampered body). */
  signedBody?: string | Buffer;
}

export interface NotifierIdentity {
  clientId: string;
  clientSecret: string;
  /** The app's notify path, which DOKU signs. */
  notifyPath: string;
}

/**
 * "DOKU" sending notifications to the app, signed as docs/doku-integration.md#notifications says: the
 * token handshake (RSA over `clientId|timestamp` with DOKU's key), then the notify POST signed over
 * the exact bytes sent, HMAC-SHA512 with the partner's client secret (symmetric) or SHA256withRSA
 * with DOKU's key (asymmetric). Every part can be overridden, so hostile variants are built the same
 * way.
 */
export class DokuNotificationSender {
  private readonly dokuKey = dokuPrivateKeyPem();

  constructor(
    private readonly http: BatteryHttp,
    readonly identity: NotifierIdentity,
  ) {}

  handshake(
    options: {
      timestamp?: string;
      clientKey?: string;
      privateKey?: string | KeyObject;
      signedClientId?: string;
      alterSignature?: (signature: string) => string;
    } = {},
  ): Promise<RawResponse> {
    const timestamp = options.timestamp ?? jakartaTimestamp(new Date());
    const signed = rsaSign(`${options.signedClientId ?? this.identity.clientId}|${timestamp}`, options.privateKey ?? this.dokuKey);
    const signature = options.alterSignature ? options.alterSignature(signed) : signed;
    return this.http.send('POST', NOTIFICATION_TOKEN_PATH, {
      headers: { 'x-client-key': options.clientKey ?? this.identity.clientId, 'x-timestamp': timestamp, 'x-signature': signature },
      body: { grantType: 'client_credentials' },
    });
  }

  /** A live token from the app. */
  async token(): Promise<string> {
    const res = await this.handshake();
    if (res.status !== 200 || typeof res.json?.accessToken !== 'string')
      throw new Error(`notification token handshake failed: ${res.status} ${res.text.slice(0, 200)}`);
    return res.json.accessToken as string;
  }

  /** The headers of one notify POST carrying `body`. */
  sign(body: string | Buffer, options: NotificationSignOptions): Record<string, string> {
    const timestamp = options.timestamp ?? jakartaTimestamp(new Date());
    const path = options.signedPath ?? this.identity.notifyPath;
    const hash = sha256Hex(options.signedBody ?? body);
    const signature =
      options.form === 'asymmetric'
        ? rsaSign(`POST:${path}:${hash}:${timestamp}`, options.privateKey ?? this.dokuKey)
        : createHmac('sha512', options.clientSecret ?? this.identity.clientSecret)
            .update(`POST:${path}:${options.token ?? ''}:${hash}:${timestamp}`, 'utf8')
            .digest('base64');
    return {
      'content-type': 'application/json',
      ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
      'x-timestamp': timestamp,
      'x-signature': signature,
      'x-partner-id': this.identity.clientId,
      'x-external-id': options.externalId,
    };
  }

  send(body: string | Buffer, headers: Record<string, string>): Promise<RawResponse> {
    return this.http.send('POST', this.identity.notifyPath, { body, headers });
  }
}

/** An X-EXTERNAL-ID as DOKU's notifier makes them (numeric, up to 32 characters), from the seeded generator. */
export function notificationExternalId(rng: Rng): string {
  return rng.digits(30);
}

export interface SinkDelivery {
  /** The exact bytes the simulator's notifier posted. */
  body: string;
  partnerReferenceNo: string;
  latestTransactionStatus: string;
  eventType: string;
}

/**
 * Stands in for the partner's notify URL so the test holds the simulator's real notifications
 * (its own bodies, in its own order) and delivers them to the app itself, in any order and as many
 * times as it likes. Answers the token handshake and every notification with success. 127.0.0.1 only.
 */
export class NotificationSink {
  readonly deliveries: SinkDelivery[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<NotificationSink> {
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        res.setHeader('content-type', 'application/json');
        if (req.url === NOTIFICATION_TOKEN_PATH) {
          const token = {
            responseCode: '2007300',
            responseMessage: 'Successful',
            accessToken: 'sink-token',
            tokenType: 'Bearer',
            expiresIn: 900,
            additionalInfo: '',
          };
          res.end(JSON.stringify(token));
          return;
        }
        try {
          const parsed = JSON.parse(body) as {
            originalPartnerReferenceNo?: string;
            latestTransactionStatus?: string;
            additionalInfo?: { eventType?: string };
          };
          sink?.deliveries.push({
            body,
            partnerReferenceNo: parsed.originalPartnerReferenceNo ?? '',
            latestTransactionStatus: parsed.latestTransactionStatus ?? '',
            eventType: parsed.additionalInfo?.eventType ?? '',
          });
        } catch {
          /* not a notification: ignored */
        }
        res.end(JSON.stringify({ responseCode: '2005600', responseMessage: 'Successful' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sink: NotificationSink = new NotificationSink(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return sink;
  }

  of(partnerReferenceNo: string): SinkDelivery[] {
    return this.deliveries.filter((d) => d.partnerReferenceNo === partnerReferenceNo);
  }

  /** Waits until `count` notifications about `partnerReferenceNo` have arrived; returns them in arrival order. */
  async waitFor(partnerReferenceNo: string, count: number, limitMs = 10_000): Promise<SinkDelivery[]> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const got = this.of(partnerReferenceNo);
      if (got.length >= count) return got;
      if (Date.now() > deadline) throw new Error(`the simulator sent ${got.length} of ${count} notifications for ${partnerReferenceNo}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** What a transaction went through, from its outbox events (commit-ordered). */
export interface StatusHistory {
  moves: Array<{ from: TransactionStatus | null; to: TransactionStatus }>;
  transactionEvents: number;
  outboxEvents: number;
}

export async function statusHistory(db: DataSource, transactionId: string): Promise<StatusHistory> {
  const outbox = await db.query<Array<{ from: TransactionStatus | null; to: TransactionStatus }>>(
    `SELECT payload->>'previousStatus' AS "from", payload->>'status' AS "to" FROM outbox_events
      WHERE aggregate_type = 'transaction' AND aggregate_id = $1 ORDER BY seq`,
    [transactionId],
  );
  const events = await db.query<Array<{ n: number }>>(`SELECT COUNT(*)::int AS n FROM transaction_events WHERE transaction_id = $1`, [
    transactionId,
  ]);
  return { moves: outbox, transactionEvents: events[0]?.n ?? 0, outboxEvents: outbox.length };
}

/**
 * How far a status is settled, independent of the product's own state machine: unresolved, then
 * SUCCESS (which a cancel may still end), then a final state nothing leaves.
 */
const SETTLED: Record<TransactionStatus, number> = { PENDING: 0, UNKNOWN: 0, SUCCESS: 1, FAILED: 2, CANCELED: 2 };

/**
 * Why a status history is not forward-only (undefined when it is): every event continues from the
 * previous one, no move goes to a less settled state, to the same state or out of a final one, and
 * each state change has exactly one transaction event and one outbox event.
 */
export async function historyProblem(db: DataSource, transactionId: string): Promise<string | undefined> {
  const h = await statusHistory(db, transactionId);
  if (h.transactionEvents !== h.outboxEvents) return `${h.transactionEvents} transaction events but ${h.outboxEvents} outbox events`;
  let at: TransactionStatus | null = null;
  for (const m of h.moves) {
    if (m.from !== at) return `event ${at ?? 'none'} then ${m.from ?? 'none'} -> ${m.to}`;
    if (at !== null && (m.to === at || SETTLED[m.to] < SETTLED[at] || SETTLED[at] === 2)) return `moved ${at} -> ${m.to}`;
    at = m.to;
  }
  return undefined;
}

/** Waits until every stored notification matching `where` has been processed; returns how many are stored. */
export async function notificationsSettled(db: DataSource, where: { partnerReferenceNo?: string }, limitMs = 20_000): Promise<number> {
  const deadline = Date.now() + limitMs;
  const filter = where.partnerReferenceNo !== undefined ? 'WHERE partner_reference_no = $1' : '';
  const params = where.partnerReferenceNo !== undefined ? [where.partnerReferenceNo] : [];
  for (;;) {
    const rows = await db.query<Array<{ n: number; open: number }>>(
      `SELECT COUNT(*)::int AS n, COUNT(*) FILTER (WHERE processed_at IS NULL)::int AS open FROM doku_notifications ${filter}`,
      params,
    );
    if (rows[0].open === 0) return rows[0].n;
    if (Date.now() > deadline)
      throw new Error(`${rows[0].open} of ${rows[0].n} stored notifications still unprocessed after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Percentile (nearest rank) of numbers sorted ascending. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
