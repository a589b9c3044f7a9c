import { DokuTimeoutError, DokuTransportError } from '../../integrations/doku/snap/doku.errors';
import { AppError } from './app-error';
import { toErrorResponse } from './error-response';

describe('toErrorResponse', () => {
  it('gives every 503 a Retry-After: DOKU unreachable or late, an outcome not known yet', () => {
    const unavailable = toErrorResponse(new DokuTransportError({ endpoint: 'balanceInquiry' }, 'CONNECT_FAILED', false), 'r1');
    expect([unavailable.status, unavailable.body.error.code, unavailable.headers['Retry-After']]).toEqual([503, 'DOKU.UNAVAILABLE', '1']);
    const late = toErrorResponse(new DokuTimeoutError({ endpoint: 'transferBankInquiry' }, 'deadline'), 'r2');
    expect([late.status, late.body.error.code, late.headers['Retry-After']]).toEqual([503, 'DOKU.TIMEOUT', '1']);
    const unknown = toErrorResponse(new AppError('DOKU.OUTCOME_UNKNOWN', 'not known yet'), 'r3');
    expect(unknown.headers).toEqual({ 'Retry-After': '1' });
  });

  it("keeps a 503's own Retry-After, whatever its case, and adds none to other statuses", () => {
    const own = toErrorResponse(new AppError('INTERNAL.UNAVAILABLE', 'later', undefined, { 'retry-after': '30' }), 'r4');
    expect(own.headers).toEqual({ 'retry-after': '30' });
    const declined = toErrorResponse(new AppError('DOKU.REJECTED', 'declined'), 'r5');
    expect([declined.status, declined.headers]).toEqual([422, {}]);
    const inFlight = toErrorResponse(new AppError('IDEMPOTENCY.IN_FLIGHT', 'in progress', undefined, { 'Retry-After': '7' }), 'r6');
    expect([inFlight.status, inFlight.headers]).toEqual([409, { 'Retry-After': '7' }]);
  });

  it('answers an unreachable database 503 with Retry-After, as before', () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const res = toErrorResponse(down, 'r7');
    expect([res.status, res.body.error.code, res.headers['Retry-After']]).toEqual([503, 'INTERNAL.UNAVAILABLE', '1']);
  });
});
