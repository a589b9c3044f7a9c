import type { IncomingMessage, ServerResponse } from 'node:http';
import { serviceDigitsFor } from './profiles';
import { performance } from 'node:perf_hooks';
import { errors, httpStatusOf, SnapError } from './codes';
import { rsaVerifyBase64, sha256Hex, tokenStringToSign, verifySymmetric } from './crypto';
import type { FaultDecision, FaultInjector } from './faults';
import { HANDLERS } from './handlers';
import { b2b2cToken, b2bToken } from './handlers/token';
import type { HandlerResult, RequestContext } from './handlers/types';
import type { Notifier } from './notifier';
import type { EndpointDef } from './paths';
import type { Sim } from './sim';
import { normalisePhone, type Account } from './store';
import { jakartaDay, parseRfc3339, toJakartaIso } from './time';
import type { TokenService } from './tokens';
import { isObject, str, type Json } from './validate';

export interface HttpReply {
  status: number;
  headers?: Record<string, string>;
  body: string;
  responseCode?: string;
  /** Destroy the socket instead of answering (fault injection: applied, response lost). */
  drop?: boolean;
  /** With `drop`: the socket was destroyed before processing, so nothing was applied (`refuse`). */
  refused?: boolean;
}

export interface SubRouter {
  handle(req: IncomingMessage, pathname: string, search: URLSearchParams, raw: Buffer): Promise<HttpReply | undefined> | HttpReply | undefined;
}

interface ExternalIdRecord {
  bodyHash: string;
  reply?: HttpReply;
}

class BodyTooLarge extends Error {}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): HttpReply {
  return { status, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } };
}

function snapReply(sim: Sim, err: SnapError, extraHeaders: Record<string, string> = {}): HttpReply {
  const reply = jsonReply(err.httpStatus, { responseCode: err.responseCode, responseMessage: err.responseMessage }, {
    'X-TIMESTAMP': toJakartaIso(sim.now()),
    ...extraHeaders,
  });
  reply.responseCode = err.responseCode;
  return reply;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

/** The partner reference a request is about: the key for faults (deterministic per seed). */
function businessKey(body: Json | undefined, externalId: string): string {
  if (!body) return externalId;
  for (const k of ['partnerRefundNo', 'partnerCaptureNo', 'partnerVoidNo', 'partnerReferenceNo', 'originalPartnerReferenceNo']) {
    const v = str(body, k);
    if (v) return v;
  }
  return externalId;
}

/** The amount a request moves, for faults keyed by amount (undefined when it names none). */
function amountKey(body: Json | undefined): string | undefined {
  if (!body) return undefined;
  return str(body, 'amount.value') ?? str(body, 'refundAmount.value');
}

/** Destroys the socket without processing the request (fault `refuse`). */
const REFUSED: HttpReply = { status: 0, body: '', drop: true, refused: true };

export class SimServer {
  /** Jakarta day → (client, X-EXTERNAL-ID) → the first request's body hash and response (§5.1). */
  private externalIds = new Map<string, Map<string, ExternalIdRecord>>();
  /** The X-EXTERNAL-ID of each API request and the Jakarta day it arrived on, for its log line. */
  private readonly received = new WeakMap<IncomingMessage, { externalId: string; day: string }>();

  /** Today's id book; days other than today and yesterday are dropped so memory stays bounded. */
  private externalIdBook(now: number): Map<string, ExternalIdRecord> {
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

  constructor(
    private readonly sim: Sim,
    private readonly tokens: TokenService,
    private readonly notifier: Notifier,
    private readonly faults: FaultInjector,
    private readonly routers: { control?: SubRouter; pages: SubRouter },
  ) {}

  resetExternalIds(): void {
    this.externalIds = new Map();
  }

  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      }
    });
  };

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const pathname = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const search = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1));
    const def = this.sim.byPath.get(pathname);
    let reply: HttpReply;
    try {
      let raw: Buffer;
      try {
        raw = await readBody(req, this.sim.settings.bodyLimitBytes);
      } catch (e) {
        if (e instanceof BodyTooLarge) {
          reply = snapReply(this.sim, errors.badRequest(def?.service ?? '00', 'body too large'));
          reply.headers = { ...reply.headers, Connection: 'close' };
          this.send(req, res, reply, pathname, started, def);
          return;
        }
        throw e;
      }
      if (def) reply = await this.api(def, req, rawUrl, raw);
      else if (pathname.startsWith('/_sim/') || pathname === '/_sim') {
        reply = (this.routers.control && (await this.routers.control.handle(req, pathname, search, raw))) || notFound();
      } else reply = (await this.routers.pages.handle(req, pathname, search, raw)) ?? notFound();
    } catch (e) {
      if (e instanceof SnapError) reply = snapReply(this.sim, e);
      else {
        this.sim.log({ level: 'error', msg: 'unhandled error', path: pathname, error: e instanceof Error ? e.message.slice(0, 200) : 'error' });
        reply = snapReply(this.sim, errors.general(def?.service ?? '00'));
      }
    }
    if (def) reply = this.withProfileCodes(def, reply);
    this.send(req, res, reply, pathname, started, def);
  }

  /**
   * alt-success-codes: DOKU's channel pages answer some operations with other service digits
   * (refunds 07, payments 05). The operation is the same; only the digits of its answer change.
   */
  private withProfileCodes(def: EndpointDef, reply: HttpReply): HttpReply {
    const digits = serviceDigitsFor(this.sim.profiles, def.name, def.service);
    const code = reply.responseCode;
    if (digits === def.service || !code || code.slice(3, 5) !== def.service) return reply;
    const mapped = `${code.slice(0, 3)}${digits}${code.slice(5)}`;
    let body = reply.body;
    try {
      const parsed = JSON.parse(reply.body) as Record<string, unknown>;
      parsed.responseCode = mapped;
      body = JSON.stringify(parsed);
    } catch {
      // A deliberately broken body (fault `malformed`) stays as it is.
    }
    return { ...reply, body, responseCode: mapped };
  }

  private send(req: IncomingMessage, res: ServerResponse, reply: HttpReply, pathname: string, started: number, def?: EndpointDef): void {
    const ms = Math.round((performance.now() - started) * 100) / 100;
    // Never log query strings (page tokens), headers or bodies: they carry tokens, OTPs and PINs.
    const line: Record<string, unknown> = { msg: 'request', method: req.method, path: pathname, status: reply.drop ? 0 : reply.status, ms };
    if (def) line.endpoint = def.name;
    const received = this.received.get(req);
    if (received) {
      // A request id, not a secret: logged so a test can check uniqueness per Jakarta day (§5.1).
      line.externalId = received.externalId;
      line.externalIdDay = received.day;
    }
    if (reply.responseCode) line.responseCode = reply.responseCode;
    if (reply.drop) {
      line.dropped = true;
      if (reply.refused) line.refused = true;
      this.sim.log(line);
      req.socket.destroy();
      return;
    }
    this.sim.log(line);
    res.writeHead(reply.status, { ...reply.headers, 'Content-Length': String(Buffer.byteLength(reply.body)) });
    res.end(reply.body);
  }

  private async api(def: EndpointDef, req: IncomingMessage, rawUrl: string, raw: Buffer): Promise<HttpReply> {
    const svc = def.service;
    if (req.method !== 'POST') throw errors.notSupported(svc);
    if (def.scope === 'token') return this.tokenCall(def, req, raw);
    const sim = this.sim;
    const now = sim.now();

    // 1. Headers (§2.6). No Authorization at all is "Token Not Found (B2B)".
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
    this.checkTimestamp(svc, timestamp, now);

    // 2. The B2B token: live and the latest for its client (§2.3); X-PARTNER-ID must be its client.
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!bearer) throw errors.invalidB2bToken(svc);
    const b2b = bearer[1]!;
    const tokenRec = sim.store.b2bTokens.get(b2b);
    if (!tokenRec || tokenRec.revoked || now >= tokenRec.expiresAt || sim.store.latestB2b.get(tokenRec.clientId) !== b2b) {
      throw errors.invalidB2bToken(svc);
    }
    const partner = sim.store.partners.get(tokenRec.clientId);
    if (!partner || tokenRec.clientId !== partnerId) throw errors.unauthorized(svc, 'X-PARTNER-ID does not match the access token');

    // 3. Symmetric signature over the exact received bytes and the path as requested (§2.5).
    if (!verifySymmetric({ method: 'POST', path: rawUrl, token: b2b, body: raw, timestamp, secret: partner.clientSecret }, signature)) {
      throw errors.unauthorized(svc, 'Invalid Signature');
    }
    if (!/^\d{1,36}$/.test(externalId)) throw errors.invalidFormat(svc, 'X-EXTERNAL-ID');

    let body: Json;
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      if (!isObject(parsed)) throw new Error('not an object');
      body = parsed;
    } catch {
      throw errors.badRequest(svc);
    }

    // 4. The customer token on b2b2c endpoints (§2.6, §2.7), with or without "Bearer ".
    let account: Account | undefined;
    let customerToken: string | undefined;
    if (def.scope === 'b2b2c') {
      const h = header(req, 'authorization-customer');
      if (!h) throw errors.customerTokenNotFound(svc);
      customerToken = h.replace(/^Bearer\s+/i, '').trim();
      const rec = this.tokens.findCustomer(customerToken, 'access', false);
      if (!rec || rec.clientId !== partner.clientId || !sim.store.activeBinding(partner.clientId, rec.accountId)) throw errors.invalidCustomerToken(svc);
      account = sim.store.accounts.get(rec.accountId);
      if (!account || !belongsTo(body, account)) throw errors.invalidCustomerToken(svc);
    }

    const faults = this.faults.decide(def.name, businessKey(body, externalId), amountKey(body));
    if (faults.refuse) return REFUSED;
    if (faults.revokeToken) {
      tokenRec.revoked = true;
      throw errors.invalidB2bToken(svc);
    }
    // Authenticated: both tokens slide (§2.3 "stays usable as long as the partner keeps calling").
    this.tokens.useB2b(b2b);
    if (customerToken) this.tokens.findCustomer(customerToken, 'access', true);

    // 5. X-EXTERNAL-ID: unique per partner per Jakarta day; same body → original response with 409 (§5.1).
    const book = this.externalIdBook(now);
    const key = `${partner.clientId}|${externalId}`;
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
      return snapReply(sim, new SnapError(`${faults.errorBefore}${svc}00`, faults.errorBefore === 504 ? 'Timeout' : 'General Error'));
    }

    const ctx: RequestContext = { sim, tokens: this.tokens, notifier: this.notifier, endpoint: def, svc, partner, body, externalId, now: sim.now(), account, faults };
    let reply: HttpReply;
    try {
      const result: HandlerResult = HANDLERS[def.name as keyof typeof HANDLERS](ctx);
      const responseCode = result.responseCode ?? `200${svc}00`;
      reply = jsonReply(httpStatusOf(responseCode), { responseCode, responseMessage: result.responseMessage ?? 'Successful', ...result.body }, { 'X-TIMESTAMP': toJakartaIso(sim.now()) });
      reply.responseCode = responseCode;
    } catch (e) {
      if (!(e instanceof SnapError)) {
        book.delete(key);
        throw e;
      }
      reply = snapReply(sim, e);
    }
    record.reply = reply;
    return this.afterApply(reply, faults, svc);
  }

  private afterApply(reply: HttpReply, faults: FaultDecision, svc: string): HttpReply {
    if (faults.drop) return { ...reply, drop: true };
    if (faults.errorAfter) return snapReply(this.sim, new SnapError(`${faults.errorAfter}${svc}00`, faults.errorAfter === 504 ? 'Timeout' : 'General Error'));
    // A 200 whose body breaks off mid-way: the answer is unreadable, whatever it said.
    if (faults.malformed) return { ...reply, status: 200, body: reply.body.slice(0, Math.max(1, Math.floor(reply.body.length / 2))) };
    return reply;
  }

  private checkTimestamp(svc: string, timestamp: string, now: number): void {
    const ts = parseRfc3339(timestamp);
    if (ts === null) throw errors.invalidFormat(svc, 'X-TIMESTAMP');
    if (Math.abs(now - ts) > this.sim.settings.skewMs) throw errors.unauthorized(svc, 'X-TIMESTAMP out of range');
  }

  /** Token calls (§2.3, §2.4): RSA SHA256withRSA over `clientId|X-TIMESTAMP` with the registered key. */
  private async tokenCall(def: EndpointDef, req: IncomingMessage, raw: Buffer): Promise<HttpReply> {
    const svc = def.service;
    const sim = this.sim;
    const clientKey = header(req, 'x-client-key');
    const timestamp = header(req, 'x-timestamp');
    const signature = header(req, 'x-signature');
    if (!clientKey) throw errors.missingField(svc, 'X-CLIENT-KEY');
    if (!timestamp) throw errors.missingField(svc, 'X-TIMESTAMP');
    if (!signature) throw errors.missingField(svc, 'X-SIGNATURE');
    this.checkTimestamp(svc, timestamp, sim.now());
    const partner = sim.store.partners.get(clientKey);
    if (!partner || !rsaVerifyBase64(partner.publicKey, tokenStringToSign(clientKey, timestamp), signature)) {
      throw errors.unauthorized(svc, 'Invalid Signature');
    }
    let body: Json;
    try {
      const parsed: unknown = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
      if (!isObject(parsed)) throw new Error('not an object');
      body = parsed;
    } catch {
      throw errors.badRequest(svc);
    }
    const faults = this.faults.decide(def.name, clientKey);
    if (faults.refuse) return REFUSED;
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const headers = { 'X-CLIENT-KEY': clientKey, 'X-TIMESTAMP': toJakartaIso(sim.now()) };
    if (faults.errorBefore) return snapReply(sim, new SnapError(`${faults.errorBefore}${svc}00`, 'General Error'), headers);
    let reply: HttpReply;
    try {
      const result = def.name === 'b2bToken' ? b2bToken(this.tokens, partner, body, svc) : b2b2cToken(sim, this.tokens, partner, body, svc);
      const responseCode = `200${svc}00`;
      reply = jsonReply(200, { responseCode, responseMessage: 'Successful', ...result.body }, headers);
      reply.responseCode = responseCode;
    } catch (e) {
      if (!(e instanceof SnapError)) throw e;
      reply = snapReply(sim, e, headers);
    }
    return this.afterApply(reply, faults, svc);
  }
}

/** A b2b2c request naming an account must name the customer token's account (§2.6 "belongs to"). */
function belongsTo(body: Json, account: Account): boolean {
  const accountId = str(body, 'additionalInfo.accountId');
  if (accountId && accountId !== account.accountId) return false;
  const accountNo = str(body, 'accountNo');
  if (accountNo && accountNo !== account.accountId) return false;
  const customerNumber = str(body, 'customerNumber');
  if (customerNumber && normalisePhone(customerNumber) !== normalisePhone(account.phoneNo)) return false;
  return true;
}

function notFound(): HttpReply {
  const reply = jsonReply(404, { responseCode: '4040002', responseMessage: 'Invalid Routing' });
  reply.responseCode = '4040002';
  return reply;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}
