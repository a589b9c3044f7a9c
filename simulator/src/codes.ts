/**
 * SNAP response codes: `HTTP status (3) + service code (2) + case code (2)` (docs/doku-integration.md#response-codes).
 * Handlers throw `SnapError`; the server turns it into the two-field envelope with the matching HTTP status.
 */
export class SnapError extends Error {
  constructor(
    readonly responseCode: string,
    readonly responseMessage: string,
  ) {
    super(`${responseCode} ${responseMessage}`);
    this.name = 'SnapError';
  }

  get httpStatus(): number {
    return httpStatusOf(this.responseCode);
  }
}

export function httpStatusOf(responseCode: string): number {
  const status = Number(responseCode.slice(0, 3));
  return Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500;
}

/** Messages of SNAP's general case table, keyed by `<http><case>`. */
const MESSAGES: Record<string, string> = {
  '20000': 'Successful',
  '20200': 'Request In Progress',
  '40000': 'Bad Request',
  '40001': 'Invalid Field Format',
  '40002': 'Invalid Mandatory Field',
  '40100': 'Unauthorized.',
  '40101': 'Invalid Token (B2B)',
  '40102': 'Invalid Customer Token',
  '40103': 'Token Not Found (B2B)',
  '40104': 'Customer Token Not Found',
  '40300': 'Transaction Expired',
  '40301': 'Feature Not Allowed',
  '40302': 'Exceeds Transaction Amount Limit',
  '40304': 'Activity Count Limit Exceeded',
  '40305': 'Do Not Honor',
  '40311': 'OTP Blocked',
  '40312': 'OTP Lifetime Expired',
  '40314': 'Insufficient Funds',
  '40318': 'Inactive Card/Account/Customer',
  '40400': 'Invalid Transaction Status',
  '40401': 'Transaction Not Found',
  '40402': 'Invalid Routing',
  '40411': 'Invalid Card/Account/Customer',
  '40413': 'Invalid Amount',
  '40415': 'Invalid OTP',
  '40418': 'Inconsistent Request',
  '40500': 'Requested Function Is Not Supported',
  '40501': 'Requested Operation Is Not Allowed',
  '40900': 'Conflict',
  '40901': 'Duplicate partnerReferenceNo',
  '42900': 'Too Many Requests',
  '50000': 'General Error',
  '50001': 'Internal Server Error',
  '50400': 'Timeout',
};

/** Builds `<http><svc><case>` with the standard message (plus an optional detail in braces or after it). */
export function code(http: number, service: string, caseCode: string): string {
  return `${http}${service}${caseCode}`;
}

export function messageFor(http: number, caseCode: string): string {
  return MESSAGES[`${http}${caseCode}`] ?? 'General Error';
}

export function snapError(http: number, service: string, caseCode: string, detail?: string): SnapError {
  const base = messageFor(http, caseCode);
  let message = base;
  if (detail) message = http === 401 && caseCode === '00' ? `${base} ${detail}` : `${base} {${detail}}`;
  return new SnapError(code(http, service, caseCode), message.slice(0, 150));
}

export const errors = {
  badRequest: (svc: string, detail?: string) => snapError(400, svc, '00', detail),
  invalidFormat: (svc: string, field: string) => snapError(400, svc, '01', field),
  missingField: (svc: string, field: string) => snapError(400, svc, '02', field),
  unauthorized: (svc: string, reason: string) => snapError(401, svc, '00', reason),
  invalidB2bToken: (svc: string) => snapError(401, svc, '01'),
  invalidCustomerToken: (svc: string) => snapError(401, svc, '02'),
  b2bTokenNotFound: (svc: string) => snapError(401, svc, '03'),
  customerTokenNotFound: (svc: string) => snapError(401, svc, '04'),
  expired: (svc: string) => snapError(403, svc, '00'),
  amountLimit: (svc: string) => snapError(403, svc, '02'),
  activityLimit: (svc: string) => snapError(403, svc, '04'),
  doNotHonor: (svc: string, detail?: string) => snapError(403, svc, '05', detail),
  otpBlocked: (svc: string) => snapError(403, svc, '11'),
  otpExpired: (svc: string) => snapError(403, svc, '12'),
  insufficientFunds: (svc: string) => snapError(403, svc, '14'),
  invalidStatus: (svc: string) => snapError(404, svc, '00'),
  notFound: (svc: string) => snapError(404, svc, '01'),
  invalidRouting: (svc: string) => snapError(404, svc, '02'),
  invalidAccount: (svc: string, detail?: string) => snapError(404, svc, '11', detail),
  invalidAmount: (svc: string) => snapError(404, svc, '13'),
  invalidOtp: (svc: string) => snapError(404, svc, '15'),
  inconsistent: (svc: string) => snapError(404, svc, '18'),
  notSupported: (svc: string) => snapError(405, svc, '00'),
  notAllowed: (svc: string) => snapError(405, svc, '01'),
  conflict: (svc: string) => snapError(409, svc, '00'),
  duplicateReference: (svc: string) => snapError(409, svc, '01'),
  general: (svc: string) => snapError(500, svc, '00'),
  timeout: (svc: string) => snapError(504, svc, '00'),
};
