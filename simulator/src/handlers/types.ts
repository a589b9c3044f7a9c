import type { FaultDecision } from '../faults';
import type { Notifier } from '../notifier';
import type { EndpointDef } from '../paths';
import type { Sim } from '../sim';
import type { Account, Partner } from '../store';
import type { TokenService } from '../tokens';
import type { Json } from '../validate';

/** Everything a handler needs for one authenticated request. */
export interface RequestContext {
  sim: Sim;
  tokens: TokenService;
  notifier: Notifier;
  endpoint: EndpointDef;
  /** Two-digit service code, for response codes. */
  svc: string;
  partner: Partner;
  body: Json;
  externalId: string;
  now: number;
  /** The customer behind `Authorization-Customer` (b2b2c endpoints only). */
  account?: Account;
  faults: FaultDecision;
  /** `X-DEVICE-ID` and `X-IP-ADDRESS` as received (the DANA channel requires them, docs/channels.md#headers). */
  device: { deviceId?: string; ipAddress?: string };
}

export interface HandlerResult {
  /** Defaults to `200<svc>00` "Successful". */
  responseCode?: string;
  responseMessage?: string;
  body: Json;
}

export type Handler = (ctx: RequestContext) => HandlerResult;
