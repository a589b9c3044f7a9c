import type { IncomingMessage, ServerResponse } from 'node:http';
import { serviceDigitsFor } from './profiles';
import { performance } from 'node:perf_hooks';
import { errors, httpStatusOf, SnapError } from './codes';
import { rsaVerifyBase64, tokenStringToSign } from './crypto';
import type { FaultInjector } from './faults';
import { HANDLERS } from './handlers';
import { header, jsonReply, REFUSED, snapReply, type SnapGate } from './snap-gate';
import { b2b2cToken, b2bToken } from './handlers/snap/token';
import type { HandlerResult, RequestContext } from './handlers/types';
import type { Notifier } from './notifier';
import type { EndpointDef } from './paths';
import type { Sim } from './sim';
import { normalisePhone, type Account } from './store';
import { parseRfc3339, toJakartaIso } from './time';
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
  /** The operation answered, for the request log, when it is not the endpoint map's (DOKU's other channels). */
  endpoint?: string;
}

export interface SubRouter {
  handle(
    req: IncomingMessage,
    pathname: string,
    search: URLSearchParams,
    raw: Buffer,
  ): Promise<HttpReply | undefined> | HttpReply | undefined;
}

class BodyTooLarge extends Error {}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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

export class SimServer {
  constructor(
    private readonly sim: Sim,
    private readonly tokens: TokenService,
    private readonly notifier: Notifier,
    private readonly faults: FaultInjector,
    private readonly gate: SnapGate,
    private readonly routers: { control?: SubRouter; pages: SubRouter; channels?: SubRouter },
  ) {}

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
    let fromChannel = false;
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
      // DOKU's other channels first: they claim only their own requests (handlers/channels.ts).
      const channel = this.routers.channels ? await this.routers.channels.handle(req, pathname, search, raw) : undefined;
      fromChannel = channel !== undefined;
      if (channel) reply = channel;
      else if (def) reply = await this.api(def, req, rawUrl, raw);
      else if (pathname.startsWith('/_sim/') || pathname === '/_sim') {
        reply = (this.routers.control && (await this.routers.control.handle(req, pathname, search, raw))) || notFound();
      } else reply = (await this.routers.pages.handle(req, pathname, search, raw)) ?? notFound();
    } catch (e) {
      if (e instanceof SnapError) reply = snapReply(this.sim, e);
      else {
        this.sim.log({
          level: 'error',
          msg: 'unhandled error',
          path: pathname,
          error: e instanceof Error ? e.message.slice(0, 200) : 'error',
        });
        reply = snapReply(this.sim, errors.general(def?.service ?? '00'));
      }
    }
    if (def && !fromChannel) reply = this.withProfileCodes(def, reply);
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
    const endpoint = reply.endpoint ?? def?.name;
    if (endpoint) line.endpoint = endpoint;
    const received = this.gate.received.get(req);
    if (received) {
      // A request id, not a secret: logged so a test can check uniqueness per Jakarta day.
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

    // 1.–3. Headers, the B2B token, the symmetric signature over the exact received bytes and the path
    // as requested (docs/doku-integration.md#headers, #symmetric-signature): the same for every product.
    const caller = this.gate.authenticate(req, svc, rawUrl, raw);
    const { partner } = caller;

    let body: Json;
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      if (!isObject(parsed)) throw new Error('not an object');
      body = parsed;
    } catch {
      throw errors.badRequest(svc);
    }

    // 4. The customer token on b2b2c endpoints, with or without "Bearer ".
    let account: Account | undefined;
    let customerToken: string | undefined;
    if (def.scope === 'b2b2c') {
      const h = header(req, 'authorization-customer');
      if (!h) throw errors.customerTokenNotFound(svc);
      customerToken = h.replace(/^Bearer\s+/i, '').trim();
      const rec = this.tokens.findCustomer(customerToken, 'access', false);
      if (!rec || rec.clientId !== partner.clientId || !sim.store.activeBinding(partner.clientId, rec.accountId))
        throw errors.invalidCustomerToken(svc);
      account = sim.store.accounts.get(rec.accountId);
      if (!account || !belongsTo(body, account)) throw errors.invalidCustomerToken(svc);
    }

    const faults = this.faults.decide(def.name, businessKey(body, caller.externalId), amountKey(body));
    const refused = this.gate.admit(caller, svc, faults, customerToken);
    if (refused) return refused;

    // 5. X-EXTERNAL-ID: unique per partner per Jakarta day; same body → original response with 409
    // (docs/doku-integration.md#x-external-id); then the handler, under the injected faults.
    return this.gate.exchange(caller, svc, raw, faults, () => {
      const ctx: RequestContext = {
        sim,
        tokens: this.tokens,
        notifier: this.notifier,
        endpoint: def,
        svc,
        partner,
        body,
        externalId: caller.externalId,
        now: sim.now(),
        account,
        faults,
        device: { deviceId: header(req, 'x-device-id'), ipAddress: header(req, 'x-ip-address') },
      };
      const result: HandlerResult = HANDLERS[def.name as keyof typeof HANDLERS](ctx);
      const responseCode = result.responseCode ?? `200${svc}00`;
      const reply = jsonReply(
        httpStatusOf(responseCode),
        { responseCode, responseMessage: result.responseMessage ?? 'Successful', ...result.body },
        { 'X-TIMESTAMP': toJakartaIso(sim.now()) },
      );
      reply.responseCode = responseCode;
      return reply;
    });
  }

  private checkTimestamp(svc: string, timestamp: string, now: number): void {
    const ts = parseRfc3339(timestamp);
    if (ts === null) throw errors.invalidFormat(svc, 'X-TIMESTAMP');
    if (Math.abs(now - ts) > this.sim.settings.skewMs) throw errors.unauthorized(svc, 'X-TIMESTAMP out of range');
  }

  /** Token calls: RSA SHA256withRSA over `clientId|X-TIMESTAMP` with the registered key. */
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
    const signedBy = partner?.publicKeys.find((k) => rsaVerifyBase64(k.key, tokenStringToSign(clientKey, timestamp), signature));
    if (!partner || !signedBy) throw errors.unauthorized(svc, 'Invalid Signature');
    signedBy.tokenRequests++;
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
    return this.gate.answerFaults(reply, faults, svc);
  }
}

/** A b2b2c request naming an account must name the customer token's account. */
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
