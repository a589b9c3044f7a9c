import { DOKU_ENDPOINT_NAMES, DOKU_ENDPOINTS, RESPONSE_CODE_OUTCOMES, resolveEndpoints } from './doku-endpoints';
import { classifyResponse, mapTransactionStatus, mapWordStatus, parseResponseCode } from './doku-response-codes';

const transfer = DOKU_ENDPOINTS.transferBankPayment; // service 43
const purchase = DOKU_ENDPOINTS.purchaseWeb; // service 54

describe('DOKU response codes', () => {
  describe(parseResponseCode.name, () => {
    it('splits HTTP status, service and case', () => {
      expect(parseResponseCode('4011101')).toEqual({ raw: '4011101', httpStatus: 401, serviceCode: '11', caseCode: '01' });
    });

    it('accepts a bare JSON number, as some SNAP samples send', () => {
      expect(parseResponseCode(2005300)?.raw).toBe('2005300');
    });

    it.each([undefined, null, '', '200540', '20054000', 'abcdefg', '2005400 ', 2005400.5, '0005400', {}])('rejects %p', (value) => {
      expect(parseResponseCode(value)).toBeUndefined();
    });
  });

  describe(classifyResponse.name, () => {
    it.each([
      ['2004300', 200, 'SUCCESS', undefined, false],
      ['2024300', 202, 'IN_PROGRESS', 'DOKU.OUTCOME_UNKNOWN', true],
      ['4004302', 400, 'REJECTED', 'DOKU.BAD_REQUEST', false],
      ['4014300', 401, 'INVALID_SIGNATURE', 'DOKU.INVALID_SIGNATURE', false],
      ['4014301', 401, 'INVALID_B2B_TOKEN', 'DOKU.INVALID_TOKEN', false],
      ['4014303', 401, 'INVALID_B2B_TOKEN', 'DOKU.INVALID_TOKEN', false],
      ['4014302', 401, 'INVALID_CUSTOMER_TOKEN', 'DOKU.INVALID_CUSTOMER_TOKEN', false],
      ['4014304', 401, 'INVALID_CUSTOMER_TOKEN', 'DOKU.INVALID_CUSTOMER_TOKEN', false],
      ['4034314', 403, 'REJECTED', 'DOKU.INSUFFICIENT_BALANCE', false],
      ['4034302', 403, 'REJECTED', 'DOKU.LIMIT_EXCEEDED', false],
      ['4034323', 403, 'REJECTED', 'DOKU.LIMIT_EXCEEDED', false],
      ['4034304', 403, 'RATE_LIMITED', 'DOKU.RATE_LIMITED', false],
      ['4044301', 404, 'NOT_FOUND', 'DOKU.NOT_FOUND', false],
      ['4044311', 404, 'REJECTED', 'DOKU.INVALID_ACCOUNT', false],
      ['4044313', 404, 'REJECTED', 'DOKU.INVALID_AMOUNT', false],
      ['4044318', 404, 'DUPLICATE_REFERENCE', 'DOKU.INCONSISTENT_REQUEST', true],
      ['4054301', 405, 'REJECTED', 'DOKU.OPERATION_NOT_ALLOWED', false],
      ['4094300', 409, 'DUPLICATE_EXTERNAL_ID', 'DOKU.DUPLICATE_EXTERNAL_ID', false],
      ['4094301', 409, 'DUPLICATE_REFERENCE', 'DOKU.DUPLICATE_REFERENCE', true],
      ['4294300', 429, 'RATE_LIMITED', 'DOKU.RATE_LIMITED', false],
      ['5004300', 500, 'UNKNOWN', 'DOKU.UNAVAILABLE', true],
      ['5004301', 500, 'UNKNOWN', 'DOKU.UNAVAILABLE', true],
      ['5004302', 500, 'UNKNOWN', 'DOKU.UNAVAILABLE', true],
      ['5044300', 504, 'UNKNOWN', 'DOKU.TIMEOUT', true],
      ['5034399', 503, 'UNKNOWN', 'DOKU.UNAVAILABLE', true],
      ['4034399', 403, 'REJECTED', 'DOKU.REJECTED', false],
    ])('%s on HTTP %d is %s / %s (outcome unknown: %p)', (code, http, kind, errorCode, unknown) => {
      const c = classifyResponse(transfer, http, code);
      expect(c).toMatchObject({ kind, errorCode, outcomeUnknown: unknown, replayed: false });
    });

    it('maps the wallet codes seen in DOKU demos', () => {
      expect(classifyResponse(DOKU_ENDPOINTS.verifyOtp, 404, '4040415').errorCode).toBe('DOKU.INVALID_OTP');
      expect(classifyResponse(DOKU_ENDPOINTS.accountCreation, 401, '4010601').kind).toBe('INVALID_B2B_TOKEN');
      expect(classifyResponse(DOKU_ENDPOINTS.b2bToken, 401, '4017300').kind).toBe('INVALID_SIGNATURE');
    });

    it('reads HTTP 409 carrying a success code as the replay of that success', () => {
      expect(classifyResponse(transfer, 409, '2004300')).toMatchObject({ kind: 'SUCCESS', replayed: true });
    });

    it('reads HTTP 409 carrying a decline as the replay of that decline', () => {
      expect(classifyResponse(transfer, 409, '4034314')).toMatchObject({
        kind: 'REJECTED',
        errorCode: 'DOKU.INSUFFICIENT_BALANCE',
        replayed: true,
      });
    });

    it("never reports success for another endpoint's success code or a non-00 case", () => {
      expect(classifyResponse(purchase, 200, '2004300')).toMatchObject({ kind: 'UNKNOWN', outcomeUnknown: true });
      expect(classifyResponse(purchase, 200, '2005401')).toMatchObject({ kind: 'UNKNOWN', outcomeUnknown: true });
    });

    it('does not trust a success code on a 5xx', () => {
      expect(classifyResponse(purchase, 502, '2005400')).toMatchObject({ kind: 'UNKNOWN', outcomeUnknown: true });
      expect(classifyResponse(purchase, 500, '4035414')).toMatchObject({ kind: 'UNKNOWN', errorCode: 'DOKU.UNAVAILABLE' });
    });

    it('treats an answer without a SNAP code as outcome unknown', () => {
      expect(classifyResponse(purchase, 502, undefined)).toMatchObject({ kind: 'UNKNOWN', errorCode: 'DOKU.UNAVAILABLE' });
      expect(classifyResponse(purchase, 302, undefined)).toMatchObject({ kind: 'UNKNOWN', errorCode: 'DOKU.OUTCOME_UNKNOWN' });
      expect(classifyResponse(purchase, 200, 'garbage').outcomeUnknown).toBe(true);
    });

    it('branches on the code, not the HTTP status, when they disagree', () => {
      expect(classifyResponse(purchase, 200, '4035414').errorCode).toBe('DOKU.INSUFFICIENT_BALANCE');
    });
  });

  describe(mapTransactionStatus.name, () => {
    it.each([
      ['00', 'SUCCESS'],
      ['01', 'PENDING'],
      ['02', 'PENDING'],
      ['03', 'PENDING'],
      ['04', 'REFUNDED'],
      ['05', 'CANCELED'],
      ['06', 'FAILED'],
      ['07', 'NOT_FOUND'],
    ])('maps %s to %s without a warning', (code, status) => {
      const warn = jest.fn();
      expect(mapTransactionStatus(code, warn)).toBe(status);
      expect(warn).not.toHaveBeenCalled();
    });

    it.each(['08', '0', '', 'SUCCESS', undefined, null, 0])('maps unknown %p to PENDING with a warning', (code) => {
      const warn = jest.fn();
      expect(mapTransactionStatus(code, warn)).toBe('PENDING');
      expect(warn).toHaveBeenCalledTimes(1);
    });

    it('does not map prototype property names', () => {
      const warn = jest.fn();
      expect(mapTransactionStatus('constructor', warn)).toBe('PENDING');
      expect(warn).toHaveBeenCalled();
    });
  });

  describe(mapWordStatus.name, () => {
    it('maps history, capture and void statuses', () => {
      const warn = jest.fn();
      expect(['INIT', 'SUCCESS', 'FAILED', 'CLOSED', 'CANCELLED'].map((s) => mapWordStatus(s, warn))).toEqual([
        'PENDING',
        'SUCCESS',
        'FAILED',
        'FAILED',
        'CANCELED',
      ]);
      expect(warn).not.toHaveBeenCalled();
    });

    it('maps anything else to PENDING with a warning', () => {
      const warn = jest.fn();
      expect(mapWordStatus('SETTLED', warn)).toBe('PENDING');
      expect(warn).toHaveBeenCalledTimes(1);
    });
  });
  describe('per-operation response-code tables', () => {
    const KIND = { success: 'SUCCESS', pending: 'IN_PROGRESS', failed: 'REJECTED', unknown: 'UNKNOWN' } as const;
    const configured = resolveEndpoints(
      {},
      { refundPurchase: { failed: ['4000701'], unknown: ['2000000'] }, topUp: { success: ['2000000'] } },
    );
    const rows = DOKU_ENDPOINT_NAMES.flatMap((name) =>
      RESPONSE_CODE_OUTCOMES.flatMap((outcome) => configured[name].codes[outcome].map((code) => [name, outcome, code] as const)),
    );

    it('has a row for every table entry, configured ones included', () => {
      expect(rows.length).toBeGreaterThanOrEqual(2 * DOKU_ENDPOINT_NAMES.length + 6);
    });

    it.each(rows)('%s: %s code %s on HTTP %#', (name, outcome, code) => {
      const http = Number(code.slice(0, 3));
      const verdict = classifyResponse(configured[name], http, code);
      expect(verdict.kind).toBe(KIND[outcome]);
      expect(verdict.outcomeUnknown).toBe(outcome === 'pending' || outcome === 'unknown');
    });

    it('reads a page variant as success only for its own operation', () => {
      expect(classifyResponse(DOKU_ENDPOINTS.refundPurchase, 200, '2000700').kind).toBe('SUCCESS');
      expect(classifyResponse(DOKU_ENDPOINTS.cancelPurchase, 200, '2000700').kind).toBe('UNKNOWN');
      expect(classifyResponse(DOKU_ENDPOINTS.purchaseWeb, 200, '2000500').kind).toBe('SUCCESS');
      expect(classifyResponse(DOKU_ENDPOINTS.refundPurchase, 200, '2000500').kind).toBe('UNKNOWN');
    });

    it('keeps the case code meaning of a refund decline whatever its service digits', () => {
      expect(classifyResponse(DOKU_ENDPOINTS.refundPurchase, 404, '4040713')).toMatchObject({
        kind: 'REJECTED',
        errorCode: 'DOKU.INVALID_AMOUNT',
      });
      expect(classifyResponse(DOKU_ENDPOINTS.refundPurchase, 409, '4090701')).toMatchObject({
        kind: 'DUPLICATE_REFERENCE',
        outcomeUnknown: true,
      });
    });

    it('never reads a listed success code on a non-200 answer as success', () => {
      expect(classifyResponse(DOKU_ENDPOINTS.refundPurchase, 500, '2000700').kind).toBe('UNKNOWN');
      expect(classifyResponse(DOKU_ENDPOINTS.refundPurchase, 202, '2000700').kind).toBe('UNKNOWN');
    });
  });
});
