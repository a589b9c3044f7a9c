/**
 * Every stable error code the API can return, with its HTTP status. Codes are part of the public
 * contract: clients branch on them, so a code is never renamed or reused for another meaning.
 * Feature areas add their codes here so the mapping to HTTP stays in one place.
 */
export const ERROR_CODES = {
  // Request shape and protocol
  'REQUEST.VALIDATION_FAILED': 400,
  'REQUEST.MALFORMED_JSON': 400,
  'REQUEST.UNSUPPORTED_MEDIA_TYPE': 415,
  'REQUEST.BODY_TOO_LARGE': 413,
  'REQUEST.NOT_FOUND': 404,
  'REQUEST.METHOD_NOT_ALLOWED': 405,
  'REQUEST.RATE_LIMITED': 429,
  // Identity
  'AUTH.UNAUTHENTICATED': 401,
  'AUTH.INVALID_CREDENTIALS': 401,
  'AUTH.INVALID_REFRESH_TOKEN': 401,
  'AUTH.REFRESH_TOKEN_REUSED': 401,
  'AUTH.INVALID_CLIENT': 401,
  'AUTH.FORBIDDEN': 403,
  'AUTH.INSUFFICIENT_SCOPE': 403,
  'USER.EMAIL_TAKEN': 409,
  'USER.PHONE_TAKEN': 409,
  'USER.NOT_FOUND': 404,
  'CLIENT.NOT_FOUND': 404,
  // The user's DOKU Wallet
  'WALLET.NOT_FOUND': 404,
  'WALLET.NOT_BOUND': 409,
  // Idempotency of money-moving requests
  'IDEMPOTENCY.KEY_REQUIRED': 400,
  'IDEMPOTENCY.KEY_INVALID': 400,
  'IDEMPOTENCY.KEY_REUSED': 422,
  'IDEMPOTENCY.IN_FLIGHT': 409,
  // DOKU, translated at the edge (see src/integrations/doku)
  'DOKU.TIMEOUT': 503,
  'DOKU.UNAVAILABLE': 503,
  'DOKU.REJECTED': 422,
  'DOKU.OUTCOME_UNKNOWN': 503,
  'DOKU.INVALID_SIGNATURE': 401,
  'DOKU.INVALID_TOKEN': 401,
  'DOKU.INVALID_CUSTOMER_TOKEN': 401,
  'DOKU.BAD_REQUEST': 502,
  'DOKU.DUPLICATE_EXTERNAL_ID': 502,
  'DOKU.DUPLICATE_REFERENCE': 409,
  'DOKU.INCONSISTENT_REQUEST': 409,
  'DOKU.INSUFFICIENT_BALANCE': 422,
  'DOKU.LIMIT_EXCEEDED': 422,
  'DOKU.ACCOUNT_RESTRICTED': 422,
  'DOKU.NOT_PERMITTED': 422,
  'DOKU.TRANSACTION_EXPIRED': 422,
  'DOKU.INVALID_OTP': 422,
  'DOKU.OTP_BLOCKED': 422,
  'DOKU.OTP_EXPIRED': 422,
  'DOKU.INVALID_AMOUNT': 422,
  'DOKU.INVALID_ACCOUNT': 422,
  'DOKU.NOT_FOUND': 404,
  'DOKU.INVALID_TRANSACTION_STATUS': 409,
  'DOKU.OPERATION_NOT_ALLOWED': 409,
  'DOKU.RATE_LIMITED': 429,
  // DOKU tokens (src/auth-token): no customer token can be obtained; the user must bind again (§3.2 A)
  'WALLET.NEEDS_REBINDING': 409,
  // Anything unexpected
  'INTERNAL.ERROR': 500,
  'INTERNAL.UNAVAILABLE': 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function httpStatusFor(code: ErrorCode): number {
  return ERROR_CODES[code] ?? 500;
}
