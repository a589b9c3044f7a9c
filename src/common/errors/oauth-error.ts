import type { ErrorResponse } from './error-response';

/** The routes that answer errors in RFC 6749's format: the OAuth2 token endpoint. */
export const OAUTH_ROUTES = new Set(['/v1/oauth/token']);

/** Our error code → the RFC 6749 §5.2 error a client-credentials client understands. */
function oauthCode(code: string, fields: string[], grantType: unknown): { status: number; error: string } {
  switch (code) {
    case 'AUTH.INVALID_CLIENT':
      return { status: 401, error: 'invalid_client' };
    case 'AUTH.INSUFFICIENT_SCOPE':
      return { status: 400, error: 'invalid_scope' };
    case 'REQUEST.RATE_LIMITED':
      return { status: 429, error: 'temporarily_unavailable' };
    case 'INTERNAL.UNAVAILABLE':
      return { status: 503, error: 'temporarily_unavailable' };
    case 'INTERNAL.ERROR':
      return { status: 500, error: 'server_error' };
    case 'REQUEST.VALIDATION_FAILED':
      if (fields.includes('scope')) return { status: 400, error: 'invalid_scope' };
      if (typeof grantType === 'string' && grantType !== '' && grantType !== 'client_credentials')
        return { status: 400, error: 'unsupported_grant_type' };
      return { status: 400, error: 'invalid_request' };
    default:
      // Malformed or unsupported bodies keep their status (400, 413, 415) as invalid_request.
      return { status: 0, error: 'invalid_request' };
  }
}

/**
 * The token endpoint's errors as RFC 6749 §5.2 says, `{"error","error_description"}`, which OAuth
 * client libraries read, with our request id beside them: 401 invalid_client with a Basic
 * challenge; 400 invalid_request, unsupported_grant_type, invalid_scope.
 */
export function toOAuthErrorResponse(
  response: ErrorResponse,
  grantType: unknown,
): { status: number; headers: Record<string, string>; body: unknown } {
  const { code, message, details, requestId } = response.body.error;
  const fields = ((details as { fields?: { field: string }[] } | undefined)?.fields ?? []).map((f) => f.field);
  const mapped = oauthCode(code, fields, grantType);
  const status = mapped.status || response.status;
  const headers = { ...response.headers, ...(status === 401 ? { 'WWW-Authenticate': 'Basic realm="oauth", charset="UTF-8"' } : {}) };
  // A validation failure names its fields, as the API's own body does in `details`.
  const description = code === 'REQUEST.VALIDATION_FAILED' && fields.length ? `${message}: ${fields.join(', ')}` : message;
  return { status, headers, body: { error: mapped.error, error_description: description, request_id: requestId } };
}
