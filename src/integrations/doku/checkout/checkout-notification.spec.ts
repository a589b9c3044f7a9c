import { rupiah } from '../../../common/money/money';
import { verifyCheckoutNotification } from './checkout-notification';
import { nonSnapSignature } from './checkout-signature';

const CLIENT_ID = 'MCH-0001-10791114622547';
const SECRET = 'SK-ThrowawayExampleSecret01';
// Signature vector V3 (checkout-signature.spec.ts).
const BODY =
  '{"service":{"id":"EMONEY"},"acquirer":{"id":"DOKU"},"channel":{"id":"EMONEY_DOKU"},"order":{"invoice_number":"TEST-1234","amount":9000},' +
  '"transaction":{"status":"SUCCESS","date":"2021-07-07T08:47:10Z","original_request_id":"baec7d95-f30a-4b78-b711-6ebe0ccdf50b"}}';
const HEADERS = {
  'client-id': CLIENT_ID,
  'request-id': '479b663f-5c9d-400d-8e80-3e548a8f7639',
  'request-timestamp': '2021-07-07T08:47:11Z',
  signature: 'HMACSHA256=gjhsZfXfTyNApWdB2nwKBNVnSQq77AKkIFah4hTQde4=',
};
const base = {
  headers: HEADERS,
  rawBody: Buffer.from(BODY),
  targetPath: '/payments/notifications',
  clientId: CLIENT_ID,
  secretKey: SECRET,
  now: new Date('2021-07-07T08:47:40Z'),
};

describe(verifyCheckoutNotification.name, () => {
  it('accepts the signed notification and reads it', () => {
    expect(verifyCheckoutNotification(base)).toEqual({
      ok: true,
      requestId: '479b663f-5c9d-400d-8e80-3e548a8f7639',
      outcome: {
        invoiceNumber: 'TEST-1234',
        amount: rupiah(9000),
        status: 'SUCCESS',
        statusWord: 'SUCCESS',
        date: '2021-07-07T08:47:10Z',
        originalRequestId: 'baec7d95-f30a-4b78-b711-6ebe0ccdf50b',
      },
    });
  });

  it.each([
    ['the body changed by one byte', { rawBody: Buffer.from(BODY.replace('9000', '9001')) }, 'BAD_SIGNATURE'],
    ['the body re-serialised with spaces', { rawBody: JSON.stringify(JSON.parse(BODY), null, 1) }, 'BAD_SIGNATURE'],
    ['another route path', { targetPath: '/v1/callbacks/doku/checkout' }, 'BAD_SIGNATURE'],
    ['another secret', { secretKey: 'SK-Another-Throwaway-02' }, 'BAD_SIGNATURE'],
    ['a signature in lower case', { headers: { ...HEADERS, signature: HEADERS.signature.toLowerCase() } }, 'BAD_SIGNATURE'],
    ['another Request-Id', { headers: { ...HEADERS, 'request-id': 'x' } }, 'BAD_SIGNATURE'],
    ['another client', { headers: { ...HEADERS, 'client-id': 'MCH-0002' } }, 'UNKNOWN_CLIENT'],
    ['no signature', { headers: { ...HEADERS, signature: undefined } }, 'MISSING_HEADER'],
    ['a Jakarta-time timestamp', { headers: { ...HEADERS, 'request-timestamp': '2021-07-07T15:47:11+07:00' } }, 'BAD_TIMESTAMP'],
    ['a timestamp ten minutes old', { now: new Date('2021-07-07T08:57:12Z') }, 'STALE_TIMESTAMP'],
    ['a Request-Id of 129 characters', { headers: { ...HEADERS, 'request-id': 'r'.repeat(129) } }, 'BAD_REQUEST_ID'],
  ])('refuses %s', (_what, change, reason) => {
    expect(verifyCheckoutNotification({ ...base, ...change })).toEqual({ ok: false, reason });
  });

  it('refuses a correctly signed body that is not an order notification', () => {
    for (const body of ['not json', '[]', '{"transaction":{"status":"SUCCESS"}}']) {
      const signature = nonSnapSignature(
        { clientId: CLIENT_ID, requestId: HEADERS['request-id'], timestamp: HEADERS['request-timestamp'], target: base.targetPath, body },
        SECRET,
      );
      expect(verifyCheckoutNotification({ ...base, rawBody: body, headers: { ...HEADERS, signature } })).toEqual({
        ok: false,
        reason: 'BAD_BODY',
      });
    }
  });
});
