import { storableHeaders } from './storable-headers';

describe('storableHeaders', () => {
  it("keeps what says where a delivery came from and leaves out every credential, in either channel's headers", () => {
    expect(
      storableHeaders({
        Authorization: 'Bearer secret-token',
        'authorization-customer': 'Bearer customer-token',
        'X-Signature': 'snap-signature',
        signature: 'HMACSHA256=checkout-signature',
        cookie: 'a=b',
        'Set-Cookie': 'session=abc',
        'Proxy-Authorization': 'Basic cGFydG5lcjpzZWNyZXQ=',
        'X-API-Key': 'k-123',
        'X-TIMESTAMP': '2026-12-07T10:00:00+07:00',
        'x-external-id': '123',
        'client-id': 'BRN-0001',
        'x-forwarded-for': ['10.0.0.1', '10.0.0.2'],
        'x-missing': undefined,
      }),
    ).toEqual({
      'x-timestamp': '2026-12-07T10:00:00+07:00',
      'x-external-id': '123',
      'client-id': 'BRN-0001',
      'x-forwarded-for': '10.0.0.1, 10.0.0.2',
    });
  });
});
