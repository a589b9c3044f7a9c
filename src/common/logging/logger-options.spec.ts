import { loggedRequestHeaders, loggedResponse } from './logger-options';

describe('access log line', () => {
  it('keeps the headers that say who called and how much, shows credentials only as present, and drops the rest', () => {
    expect(
      loggedRequestHeaders({
        host: 'api.example',
        'user-agent': 'app/1.0',
        'content-type': 'application/json',
        'content-length': '42',
        'idempotency-key': 'k-123',
        authorization: 'Bearer secret-token',
        cookie: 'session=abc',
        'authorization-customer': 'Bearer b2b2c',
        'x-signature': 'sig',
        'accept-language': 'id-ID',
        'sec-ch-ua': '"Chromium"',
      }),
    ).toEqual({
      host: 'api.example',
      'user-agent': 'app/1.0',
      'content-type': 'application/json',
      'content-length': '42',
      'idempotency-key': 'k-123',
      authorization: '[redacted]',
      cookie: '[redacted]',
      'authorization-customer': '[redacted]',
      'x-signature': '[redacted]',
    });
  });

  it('writes no credential header that was not sent', () => {
    expect(loggedRequestHeaders({ host: 'h' })).toEqual({ host: 'h' });
  });

  it('describes a response by its status and size', () => {
    const headers: Record<string, unknown> = { 'content-length': '120', 'set-cookie': 'session=abc' };
    expect(loggedResponse({ statusCode: 201, getHeader: (name) => headers[name] })).toEqual({ statusCode: 201, contentLength: 120 });
    expect(loggedResponse({ statusCode: 204, getHeader: () => undefined })).toEqual({ statusCode: 204 });
  });
});
