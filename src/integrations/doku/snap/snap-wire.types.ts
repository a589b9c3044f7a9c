/**
 * What every SNAP exchange shares (money, the response envelope, the two access tokens); each product folder holds its own request and response bodies, with SNAP's field names exactly
 * (docs/doku-integration.md#endpoint-map). Every request is sent as built; every response is
 * DOKU's JSON as received, so response fields are optional unless the envelope guarantees them
 * (DOKU may omit anything on an error, and the inferred endpoints are unconfirmed,
 * docs/doku-integration.md#sources-and-confidence).
 * Amounts are SNAP strings here; convert only through `doku-mapper.ts`.
 */

/** `{"value":"150000.00","currency":"IDR"}` (docs/doku-integration.md#money-format). Build and read it with the mapper only. */
export interface SnapMoney {
  value: string;
  currency: string;
}

/** Free-form `additionalInfo`: an object on every request and response. */
export type SnapAdditionalInfo = Record<string, unknown>;

/** Every response carries these two. `responseCode` is a string; some samples send a number (docs/doku-integration.md#response-codes). */
export interface SnapResponseEnvelope {
  responseCode: string;
  responseMessage?: string;
}

// ---- B2B access token (73) ----

export interface B2bTokenRequest {
  grantType: 'client_credentials';
  additionalInfo?: SnapAdditionalInfo | string;
}

export interface B2bTokenResponse extends SnapResponseEnvelope {
  accessToken?: string;
  tokenType?: string;
  /** Seconds, a JSON number (iOS SDK decodes it as Int). */
  expiresIn?: number;
  additionalInfo?: SnapAdditionalInfo | string;
}

// ---- B2B2C access token (74) ----

export type B2b2cTokenRequest =
  | { grantType: 'authorization_code'; authCode: string; additionalInfo?: SnapAdditionalInfo }
  | { grantType: 'refresh_token'; refreshToken: string; additionalInfo?: SnapAdditionalInfo };

export interface B2b2cTokenResponse extends SnapResponseEnvelope {
  accessToken?: string;
  tokenType?: string;
  /** Absolute ISO-8601 time, not seconds. */
  accessTokenExpiryTime?: string;
  refreshToken?: string;
  refreshTokenExpiryTime?: string;
  additionalInfo?: SnapAdditionalInfo | string;
}
