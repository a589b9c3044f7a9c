import { parseDokuTimestamp } from '../snap/doku-time';
import type { B2b2cTokenRequest, B2b2cTokenResponse } from '../snap/snap-wire.types';
import type { QueryAccountBindingRequest, QueryAccountBindingResponse } from './wallet-wire.types';

/**
 * The customer (B2B2C) token and Query Account Binding (docs/doku-integration.md#customer-token) in
 * our own words: what buys a user's token, and what DOKU hands back.
 */

/** What a customer token is bought with: a binding's authCode, or the refresh token of an earlier grant. */
export type CustomerTokenGrant = { authCode: string } | { refreshToken: string };

/** The tokens DOKU issued. */
export interface CustomerTokens {
  /** Undefined when DOKU's answer carries none. */
  accessToken: string | undefined;
  /** Null when DOKU gives no readable expiry. */
  accessTokenExpiresAt: Date | null;
  refreshToken: string | null;
  /** Null without a refresh token, or without a readable expiry. */
  refreshTokenExpiresAt: Date | null;
}

/** What Query Account Binding says about a bound account. */
export interface AccountBindingState {
  /** A fresh authCode, encrypted with the partner's auth-code key (decrypt with `decryptAuthCode`). */
  encryptedAuthCode?: string;
}

export function toB2b2cTokenRequest(grant: CustomerTokenGrant): B2b2cTokenRequest {
  return 'authCode' in grant
    ? { grantType: 'authorization_code', authCode: grant.authCode }
    : { grantType: 'refresh_token', refreshToken: grant.refreshToken };
}

export function toCustomerTokens(body: B2b2cTokenResponse): CustomerTokens {
  const accessToken = typeof body.accessToken === 'string' && body.accessToken.length > 0 ? body.accessToken : undefined;
  const refreshToken = typeof body.refreshToken === 'string' && body.refreshToken.length > 0 ? body.refreshToken : null;
  return {
    accessToken,
    accessTokenExpiresAt: parseTime(body.accessTokenExpiryTime),
    refreshToken,
    refreshTokenExpiresAt: refreshToken ? parseTime(body.refreshTokenExpiryTime) : null,
  };
}

export function toQueryAccountBindingRequest(accountId: string, partnerReferenceNo: string): QueryAccountBindingRequest {
  return { partnerReferenceNo, additionalInfo: { accountId } };
}

export function toAccountBindingState(body: QueryAccountBindingResponse): AccountBindingState {
  return { encryptedAuthCode: body.additionalInfo?.authCode };
}

function parseTime(value: unknown): Date | null {
  const time = parseDokuTimestamp(value);
  return time === null ? null : new Date(time);
}
