import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { registerUser, serviceToken } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

/** A raw HTTP exchange, so paths and headers reach the server exactly as written. */
function raw(t: TestApp, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const { port } = new URL(t.url);
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: Number(port), method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The bytes a server answers to bytes written on a bare socket (for requests Node itself refuses). */
function rawSocket(t: TestApp, payload: string): Promise<string> {
  const { port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(payload));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    socket.on('end', () => resolve(text));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

function errorBodyOf(text: string): { code: string; message: string; requestId: string } {
  const parsed = JSON.parse(text) as { error: { code: string; message: string; requestId: string } };
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(typeof parsed.error.message).toBe('string');
  expect(typeof parsed.error.requestId).toBe('string');
  return parsed.error;
}

/** Every refusal, whoever raises it (Node, fastify, a plugin, a route), has the API's one error body. */
describe('One error shape everywhere', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: 'https://app.partner.example' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('oversize headers: 431 with the error body', async () => {
    const answer = await rawSocket(t, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head.toLowerCase()).toContain('content-type: application/json');
    expect(errorBodyOf(body).code).toBe('REQUEST.HEADERS_TOO_LARGE');
  });

  it('a malformed request line: 400 with the error body', async () => {
    const answer = await rawSocket(t, `GET /health/live HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n`);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(errorBodyOf(body).code).toBe('REQUEST.MALFORMED');
  });

  it('path traversal attempts: 404 with the error body, on API and documentation paths alike', async () => {
    for (const path of [
      '/v1/../../etc/passwd',
      '/docs/../../../etc/passwd',
      '/docs/%2e%2e/%2e%2e/etc/passwd',
      '/docs/..%2f..%2fpackage.json',
      '/%2e%2e/package.json',
    ]) {
      const res = await raw(t, 'GET', path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(errorBodyOf(res.body).code).toBe('REQUEST.NOT_FOUND');
    }
  });

  it('a path id that is not an id: 404 naming what it would name, never a 400 about the body', async () => {
    const user = await registerUser(t);
    const bearer = { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' };
    const otp = await raw(t, 'POST', '/v1/wallet/registrations/not-a-uuid/otp', bearer, '{"otp":"123456"}');
    expect([otp.status, errorBodyOf(otp.body).code]).toEqual([404, 'WALLET.REGISTRATION_NOT_FOUND']);
    const resend = await raw(t, 'POST', '/v1/wallet/registrations/not-a-uuid/otp/resend', { authorization: bearer.authorization });
    expect([resend.status, errorBodyOf(resend.body).code]).toEqual([404, 'WALLET.REGISTRATION_NOT_FOUND']);
    const purchase = await raw(t, 'GET', '/v1/purchases/not-a-uuid', bearer);
    expect([purchase.status, errorBodyOf(purchase.body).code]).toEqual([404, 'PURCHASE.NOT_FOUND']);
  });

  /** A sign-in with this Content-Type and body, as written. */
  const login = (contentType: string, body: string) => raw(t, 'POST', '/v1/auth/login', { 'content-type': contentType }, body);

  it('form bodies on JSON routes: 415 with the error body', async () => {
    const res = await login('application/x-www-form-urlencoded', 'email=a%40b.co&password=x');
    expect(res.status).toBe(415);
    expect(errorBodyOf(res.body).code).toBe('REQUEST.UNSUPPORTED_MEDIA_TYPE');
    const multipart = await login('multipart/form-data; boundary=x', '--x--');
    expect(multipart.status).toBe(415);
    expect(errorBodyOf(multipart.body).code).toBe('REQUEST.UNSUPPORTED_MEDIA_TYPE');
  });

  it('a JSON body in a charset other than UTF-8: 415 with the error body', async () => {
    for (const charset of ['latin1', 'iso-8859-1', 'utf-16', 'windows-1252']) {
      const res = await login(`application/json; charset=${charset}`, '{"email":"a@b.co","password":"x"}');
      expect([charset, res.status]).toEqual([charset, 415]);
      expect(errorBodyOf(res.body).code).toBe('REQUEST.UNSUPPORTED_MEDIA_TYPE');
    }
    const utf8 = await login('application/json; charset=UTF-8', '{"email":"a@b.co","password":"wrong-password"}');
    expect(utf8.status).toBe(401);
  });

  it('the OAuth token endpoint answers errors in the RFC 6749 format', async () => {
    const svc = await serviceToken(t, ['wallets:read']);
    const form = (body: string, headers: Record<string, string> = {}) =>
      raw(t, 'POST', '/v1/oauth/token', { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body);
    const cases: [string, Promise<{ status: number; headers: Record<string, unknown>; body: string }>, number, string][] = [
      ['wrong secret', form(`grant_type=client_credentials&client_id=${svc.clientId}&client_secret=nope`), 401, 'invalid_client'],
      ['unknown client', form('grant_type=client_credentials&client_id=nobody&client_secret=nope'), 401, 'invalid_client'],
      [
        'other grant',
        form(`grant_type=password&client_id=${svc.clientId}&client_secret=${svc.clientSecret}`),
        400,
        'unsupported_grant_type',
      ],
      ['no grant', form(`client_id=${svc.clientId}&client_secret=${svc.clientSecret}`), 400, 'invalid_request'],
      [
        'ungranted scope',
        form(`grant_type=client_credentials&client_id=${svc.clientId}&client_secret=${svc.clientSecret}&scope=refunds:write`),
        400,
        'invalid_scope',
      ],
    ];
    for (const [name, pending, status, error] of cases) {
      const res = await pending;
      const body = JSON.parse(res.body) as Record<string, unknown>;
      expect([name, res.status, body.error]).toEqual([name, status, error]);
      expect(typeof body.error_description).toBe('string');
      expect(res.headers['cache-control']).toBe('no-store');
      if (status === 401) expect(String(res.headers['www-authenticate'])).toMatch(/^Basic /);
    }
    const ok = await form(`grant_type=client_credentials&client_id=${svc.clientId}&client_secret=${svc.clientSecret}`);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ token_type: 'Bearer' });
  });

  it('CORS preflight allows the methods and headers the API uses, for the configured origins only', async () => {
    const preflight = (origin: string, method: string) =>
      raw(t, 'OPTIONS', '/v1/admin/users/00000000-0000-4000-8000-000000000000/sign-in-lock', {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'authorization,content-type,idempotency-key',
      });
    const allowed = await preflight('https://app.partner.example', 'DELETE');
    expect(allowed.status).toBeLessThan(300);
    expect(String(allowed.headers['access-control-allow-origin'])).toBe('https://app.partner.example');
    const methods = String(allowed.headers['access-control-allow-methods'])
      .split(',')
      .map((m) => m.trim());
    expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']));
    const headers = String(allowed.headers['access-control-allow-headers']).toLowerCase();
    for (const h of ['authorization', 'content-type', 'idempotency-key']) expect(headers).toContain(h);
    const stranger = await preflight('https://evil.example', 'DELETE');
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
  });
});
