import {
  bodyDigest,
  componentString,
  nonSnapSignature,
  parseUtcTimestamp,
  utcTimestamp,
  verifyNonSnapSignature,
} from './checkout-signature';

/**
 * Known-answer vectors of the non-SNAP signature (docs/channels.md#doku-e-wallet-checkout). DOKU's
 * pages publish sample headers but never the secret behind them, so these were computed
 * independently with throwaway secrets; the body of V1 is DOKU's own sample order, minified.
 */
const CLIENT_ID = 'MCH-0001-10791114622547';
const SECRET = 'SK-ThrowawayExampleSecret01';
const V1_BODY =
  '{"order":{"invoice_number":"TEST-1234","amount":9000,"line_items":[{"name":"T-Shirt Red","price":3000,"quantity":2},' +
  '{"name":"Polo Navy","price":3000,"quantity":1}],"success_url":"https://your-success-url.domain/","failed_url":"https://your-failed-url.domain/",' +
  '"notify_url":"https://merchant.com/notify-url","auto_redirect":false}}';
const V1 = {
  clientId: CLIENT_ID,
  requestId: 'baec7d95-f30a-4b78-b711-6ebe0ccdf50b',
  timestamp: '2021-07-07T08:45:42Z',
  target: '/dokuwallet-emoney/v1/payment',
  body: V1_BODY,
};

describe('non-SNAP signature', () => {
  it('V1: the payment request', () => {
    expect(bodyDigest(V1_BODY)).toBe('yFsSVWw709l129cUcXxKRHNnWBRLHoEF2s4kuGZ05bY=');
    expect(componentString(V1)).toBe(
      'Client-Id:MCH-0001-10791114622547\nRequest-Id:baec7d95-f30a-4b78-b711-6ebe0ccdf50b\nRequest-Timestamp:2021-07-07T08:45:42Z\n' +
        'Request-Target:/dokuwallet-emoney/v1/payment\nDigest:yFsSVWw709l129cUcXxKRHNnWBRLHoEF2s4kuGZ05bY=',
    );
    expect(nonSnapSignature(V1, SECRET)).toBe('HMACSHA256=WIWX340nOPKEgtdh12Ae7tBWeSqowgiN/YMpARIViWg=');
    expect(nonSnapSignature(V1, 'SK-Another-Throwaway-02')).toBe('HMACSHA256=1zwehvWlH3fqGGxcylHYgjv6bi5FyFHkmnnh1jS0y00=');
  });

  it('V2: a GET has no Digest line', () => {
    const v2 = {
      clientId: CLIENT_ID,
      requestId: 'd895fb53-479c-4f77-a76a-ab81b40d77cb',
      timestamp: '2020-08-11T08:45:42Z',
      target: '/orders/v1/status/INV-123123-12313',
    };
    expect(componentString(v2)).not.toContain('Digest');
    expect(nonSnapSignature(v2, SECRET)).toBe('HMACSHA256=4c+HPC8chps0aeDicLdeWQlJWE5ygMcavSkusIJx48c=');
  });

  it('V3: a notification to our route', () => {
    const body =
      '{"service":{"id":"EMONEY"},"acquirer":{"id":"DOKU"},"channel":{"id":"EMONEY_DOKU"},"order":{"invoice_number":"TEST-1234","amount":9000},' +
      '"transaction":{"status":"SUCCESS","date":"2021-07-07T08:47:10Z","original_request_id":"baec7d95-f30a-4b78-b711-6ebe0ccdf50b"}}';
    const v3 = {
      clientId: CLIENT_ID,
      requestId: '479b663f-5c9d-400d-8e80-3e548a8f7639',
      timestamp: '2021-07-07T08:47:11Z',
      target: '/payments/notifications',
      body,
    };
    expect(bodyDigest(body)).toBe('R7z/UGbFKIlY3RO9efiOZjhpDuSngekCtm60+PnFFEk=');
    expect(nonSnapSignature(v3, SECRET)).toBe('HMACSHA256=gjhsZfXfTyNApWdB2nwKBNVnSQq77AKkIFah4hTQde4=');
  });

  it('V4: DOKU answer, with Response-Timestamp and our Request-Id', () => {
    const body =
      '{"order":{"invoice_number":"TEST-1234","line_items":[{"name":"T-Shirt Red","price":3000,"quantity":2},{"name":"Polo Navy","price":3000,"quantity":1}]},' +
      '"doku_wallet_payment_page":{"url":"https://sandbox.example.invalid/dokuwallet/pay/TEST-1234"}}';
    const v4 = { ...V1, timestamp: '2021-07-07T08:45:43Z', timestampName: 'Response-Timestamp' as const, body };
    expect(componentString(v4)).toContain('\nResponse-Timestamp:2021-07-07T08:45:43Z\n');
    expect(bodyDigest(body)).toBe('sVZLSDEM/onu1mhfjp5TFxdCeXhmeTwCyguRHdzR+5s=');
    expect(nonSnapSignature(v4, SECRET)).toBe('HMACSHA256=1xFeP1DeRBsAQxiNL13trxoWvU3rN2ct9oWpGrFfyt4=');
  });

  it.each([
    ['N1 pretty-printed body', 'HMACSHA256=jRGXGADeN91ydF0fODfCUgEY/WBjR4i/08TutE181vg='],
    ['N2 trailing line feed', 'HMACSHA256=ODqggx5e0IYcp4G5HJqIaYwnjekCJRc+rfqPou0MCeo='],
    ['N3 full URL as target', 'HMACSHA256=lwDhP1nC3eZJ0ukwGxo+FZ8Fs6PIRRZb2M7dFOhS444='],
    ['N4 hex digest', 'HMACSHA256=ikwFW6uJU/JIcT9n7CNLVfe3s7yp5qi9CN8BLloOlb4='],
    ['N5 CRLF separators', 'HMACSHA256=qIb8IoKrIaBa1gLbTUkO9yUg8cQnF93/rHUUrA1cffc='],
  ])('refuses %s for the V1 request', (_mistake, signature) => {
    expect(verifyNonSnapSignature(V1, SECRET, signature)).toBe(false);
  });

  it('accepts exactly the right signature, and nothing close to it', () => {
    const right = 'HMACSHA256=WIWX340nOPKEgtdh12Ae7tBWeSqowgiN/YMpARIViWg=';
    expect(verifyNonSnapSignature(V1, SECRET, right)).toBe(true);
    for (const wrong of [right.toLowerCase(), right.slice('HMACSHA256='.length), `${right} `, undefined, '']) {
      expect(verifyNonSnapSignature(V1, SECRET, wrong)).toBe(false);
    }
    expect(verifyNonSnapSignature({ ...V1, body: `${V1_BODY} ` }, SECRET, right)).toBe(false);
    expect(verifyNonSnapSignature(V1, 'SK-Another-Throwaway-02', right)).toBe(false);
  });

  it('writes and reads UTC timestamps with Z', () => {
    expect(utcTimestamp(new Date('2020-09-22T08:51:00+07:00'))).toBe('2020-09-22T01:51:00Z');
    expect(parseUtcTimestamp('2021-07-07T08:45:42Z')).toBe(Date.UTC(2021, 6, 7, 8, 45, 42));
    expect(parseUtcTimestamp('2021-07-07T15:45:42+07:00')).toBeUndefined();
    expect(parseUtcTimestamp('2021-07-07 08:45:42Z')).toBeUndefined();
  });
});
