import type { IncomingMessage } from 'node:http';
import { errors, SnapError } from './codes';
import { sha256Hex, verifySymmetric } from './crypto';
import type { FaultDecision } from './faults';
import type { HttpReply } from './server';
import type { Sim } from './sim';
import type { B2bToken, Partner } from './store';
import { jakartaDay, parseRfc3339, toJakartaIso } from './time';
import type { TokenService } from './tokens';

/**
 * What every SNAP service call goes through at DOKU, whichever product it belongs to (the wallet's
 * endpoints in server.ts, the KKI card calls in handlers/kki): the headers, the timestamp window, the
 * B2B token, the symmetric signature over the exact bytes, and X-EXTERNAL-ID, which is unique per
 * partner per Jakarta day across every endpoint (one book for all of them: an id used on a wallet
 * call is a conflict on a card call too). The injected faults act at the same points for every
 * product: before anything is applied, or on the answer after it was.
 */

export interface ExternalIdRecord {
  bodyHash: string;
  reply?: HttpReply;
}

/** Who called, once the request is authenticated. */
export interface SnapCaller {
  partner: Partner;
  b2b: string;
  token: B2bToken;
  externalId: string;
}

/** Destroys the socket without processing the request (fault `refuse`). */
export const REFUSED: HttpReply = { status: 0, body: '', drop: true, refused: true };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): HttpReply {
  return { status, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } };
}

/** DOKU's error envelope for a refused SNAP call. */
export function snapReply(sim: Sim, err: SnapError, extraHeaders: Record<string, string> = {}): HttpReply {
  const reply = jsonReply(
    err.httpStatus,
    { responseCode: err.responseCode, responseMessage: err.responseMessage },
    { 'X-TIMESTAMP': toJakartaIso(sim.now()), ...extraHeaders },
  );
  reply.responseCode = err.responseCode;
  return reply;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

export class SnapGate {
  /** Jakarta day → (client, X-EXTERNAL-ID) → the first request's body hash and response. */
  private externalIds = new Map<string, Map<string, ExternalIdRecord>>();
  /** The X-EXTERNAL-ID of each API request and the Jakarta day it arrived on, for its log line. */
  readonly received = new WeakMap<IncomingMessage, { externalId: string; day: string }>();

  constructor(
    private readonly sim: Sim,
    private readonly tokens: TokenService,
  ) {}

  reset(): void {
    this.externalIds = new Map();
  }

  /**
   * Headers, timestamp, B2B token (live and the latest of its client), X-PARTNER-ID, the signature
   * over `path` as requested and the raw bytes, X-EXTERNAL-ID's format. Throws the SnapError DOKU
   * answers with. No Authorization at all is "Token Not Found (B2B)".
   */
  authenticate(req: IncomingMessage, svc: string, path: string, raw: Buffer): SnapCaller {
    const sim = this.sim;
    const now = sim.now();
    const authorization = header(req, 'authorization');
    if (!authorization) throw errors.b2bTokenNotFound(svc);
    const timestamp = header(req, 'x-timestamp');
    const signature = header(req, 'x-signature');
    const partnerId = header(req, 'x-partner-id');
    const externalId = header(req, 'x-external-id');
    if (externalId) this.received.set(req, { externalId: externalId.slice(0, 64), day: jakartaDay(now) });
    if (!timestamp) throw errors.missingField(svc, 'X-TIMESTAMP');
    if (!signature) throw errors.missingField(svc, 'X-SIGNATURE');
    if (!partnerId) throw errors.missingField(svc, 'X-PARTNER-ID');
    if (!externalId) throw errors.missingField(svc, 'X-EXTERNAL-ID');
    const ts = parseRfc3339(timestamp);
    if (ts === null) throw errors.invalidFormat(svc, 'X-TIMESTAMP');
    if (Math.abs(now - ts) > sim.settings.skewMs) throw errors.unauthorized(svc, 'X-TIMESTAMP out of range');

    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!bearer) throw errors.invalidB2bToken(svc);
    const b2b = bearer[1];
    const token = sim.store.b2bTokens.get(b2b);
    if (!token || token.revoked || now >= token.expiresAt || sim.store.latestB2b.get(token.clientId) !== b2b) {
      throw errors.invalidB2bToken(svc);
    }
    const partner = sim.store.partners.get(token.clientId);
    if (!partner || token.clientId !== partnerId) throw errors.unauthorized(svc, 'X-PARTNER-ID does not match the access token');
    const secrets = [partner.clientSecret, ...partner.previousClientSecrets];
    if (!secrets.some((secret) => verifySymmetric({ method: 'POST', path, token: b2b, body: raw, timestamp, secret }, signature))) {
      throw errors.unauthorized(svc, 'Invalid Signature');
    }
    if (!/^\d{1,36}$/.test(externalId)) throw errors.invalidFormat(svc, 'X-EXTERNAL-ID');
    return { partner, b2b, token, externalId };
  }

  /**
   * The faults that act before DOKU looks at the request: `refuse` (the socket is destroyed, nothing
   * applied) answers REFUSED; `revokeToken` revokes the B2B token and refuses the call. Otherwise the
   * tokens slide ("usable as long as the partner keeps calling") and undefined is returned.
   */
  admit(caller: SnapCaller, svc: string, faults: FaultDecision, customerToken?: string): HttpReply | undefined {
    if (faults.refuse) return REFUSED;
    if (faults.revokeToken) {
      caller.token.revoked = true;
      throw errors.invalidB2bToken(svc);
    }
    this.tokens.useB2b(caller.b2b);
    if (customerToken) this.tokens.findCustomer(customerToken, 'access', true);
    return undefined;
  }

  /**
   * X-EXTERNAL-ID (the same id and body again gets the first answer with 409; another body, 409
   * Conflict), then the call: latency and `error_before` before anything is applied, `apply`, and the
   * faults on the answer (`drop`, `error_after`, `malformed`) after it was.
   */
  async exchange(caller: SnapCaller, svc: string, raw: Buffer, faults: FaultDecision, apply: () => HttpReply): Promise<HttpReply> {
    const book = this.book(this.sim.now());
    const key = `${caller.partner.clientId}|${caller.externalId}`;
    const bodyHash = sha256Hex(raw);
    const seen = book.get(key);
    if (seen) {
      if (seen.reply && seen.bodyHash === bodyHash) return { ...seen.reply, status: 409, drop: false };
      throw errors.conflict(svc);
    }
    const record: ExternalIdRecord = { bodyHash };
    book.set(key, record);

    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (faults.errorBefore) {
      book.delete(key);
      return snapReply(this.sim, this.serverError(faults.errorBefore, svc));
    }
    let reply: HttpReply;
    try {
      reply = apply();
    } catch (e) {
      if (!(e instanceof SnapError)) {
        book.delete(key);
        throw e;
      }
      reply = snapReply(this.sim, e);
    }
    record.reply = reply;
    return this.answerFaults(reply, faults, svc);
  }

  /** The faults on an answer DOKU has given (the call was applied): lost, replaced by a 5xx, or cut short. */
  answerFaults(reply: HttpReply, faults: FaultDecision, svc: string, headers: Record<string, string> = {}): HttpReply {
    if (faults.drop) return { ...reply, drop: true };
    if (faults.errorAfter) return snapReply(this.sim, this.serverError(faults.errorAfter, svc), headers);
    // A 200 whose body breaks off mid-way: the answer is unreadable, whatever it said.
    if (faults.malformed) return { ...reply, status: 200, body: reply.body.slice(0, Math.max(1, Math.floor(reply.body.length / 2))) };
    return reply;
  }

  serverError(status: number, svc: string): SnapError {
    return new SnapError(`${status}${svc}00`, status === 504 ? 'Timeout' : 'General Error');
  }

  /** Today's id book; days other than today and yesterday are dropped so memory stays bounded. */
  private book(now: number): Map<string, ExternalIdRecord> {
    const day = jakartaDay(now);
    let book = this.externalIds.get(day);
    if (!book) {
      const yesterday = jakartaDay(now - 86_400_000);
      for (const d of this.externalIds.keys()) if (d !== yesterday) this.externalIds.delete(d);
      book = new Map();
      this.externalIds.set(day, book);
    }
    return book;
  }
}
