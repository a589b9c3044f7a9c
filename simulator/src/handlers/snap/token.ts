import { errors, SnapError } from '../../codes';
import type { Sim } from '../../sim';
import type { Partner } from '../../store';
import { toJakartaIso } from '../../time';
import type { TokenService } from '../../tokens';
import { str, validate, type Json } from '../../validate';
import type { HandlerResult } from '../types';

/** B2B token. The RSA signature has already been verified. */
export function b2bToken(tokens: TokenService, partner: Partner, body: Json, svc: string): HandlerResult {
  validate(svc, body, [
    { path: 'grantType', kind: 'string', required: true, max: 32, oneOf: ['client_credentials', 'CLIENT_CREDENTIALS'] },
  ]);
  const { token, expiresIn } = tokens.issueB2b(partner.clientId);
  return { body: { accessToken: token, tokenType: 'Bearer', expiresIn, additionalInfo: '' } };
}

/** B2B2C token: `authorization_code` (one-time authCode) or `refresh_token`. */
export function b2b2cToken(sim: Sim, tokens: TokenService, partner: Partner, body: Json, svc: string): HandlerResult {
  validate(svc, body, [
    {
      path: 'grantType',
      kind: 'string',
      required: true,
      max: 32,
      oneOf: ['authorization_code', 'refresh_token', 'AUTHORIZATION_CODE', 'REFRESH_TOKEN'],
    },
    { path: 'authCode', kind: 'string', max: 256 },
    { path: 'refreshToken', kind: 'string', max: 2048 },
    { path: 'additionalInfo', kind: 'object' },
  ]);
  const now = sim.now();
  const grant = (body.grantType as string).toLowerCase();
  let accountId: string;
  if (grant === 'authorization_code') {
    const code = str(body, 'authCode');
    if (!code) throw errors.missingField(svc, 'authCode');
    const rec = sim.store.authCodes.get(code);
    if (!rec || rec.used || rec.clientId !== partner.clientId || now >= rec.expiresAt)
      throw new SnapError(`404${svc}01`, 'Invalid Auth Code');
    rec.used = true;
    accountId = rec.accountId;
  } else {
    const refresh = str(body, 'refreshToken');
    if (!refresh) throw errors.missingField(svc, 'refreshToken');
    const rec = tokens.findCustomer(refresh, 'refresh', false);
    if (!rec || rec.clientId !== partner.clientId) throw errors.invalidCustomerToken(svc);
    accountId = rec.accountId;
  }
  const account = sim.store.accounts.get(accountId);
  if (!account || !sim.store.activeBinding(partner.clientId, accountId)) throw new SnapError(`404${svc}01`, 'Invalid Auth Code');
  if (account.status !== 'ACTIVE') throw errors.doNotHonor(svc);
  const issued = tokens.issueCustomer(partner.clientId, accountId);
  return {
    body: {
      accessToken: issued.accessToken,
      tokenType: 'Bearer',
      accessTokenExpiryTime: toJakartaIso(issued.accessExpiresAt),
      refreshToken: issued.refreshToken,
      refreshTokenExpiryTime: toJakartaIso(issued.refreshExpiresAt),
      additionalInfo: '',
    },
  };
}
