import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { DokuTransportConfig } from './doku-transport';
import { DokuTransport } from './doku-transport';
import { DokuTimeoutError, DokuTransportError } from './doku.errors';
import { LocalHttpServer } from '../testing/local-http-server';

describe(DokuTransport.name, () => {
  let server: LocalHttpServer;
  let transport: DokuTransport;
  let baseUrl: string;
  // Generous for the calls that are answered: a loaded machine (the whole suite at once) once took
  // more than 300 ms over a file's first request. The timeout tests set their own short deadline.
  const config = (overrides: Partial<DokuTransportConfig> = {}): DokuTransportConfig => ({
    baseUrl,
    timeoutMs: 5000,
    connectTimeoutMs: 5000,
    maxResponseBytes: 1024,
    poolConnections: 2,
    ...overrides,
  });
  const context = { endpoint: 'topUp' as const, externalId: '123' };

  beforeEach(async () => {
    server = new LocalHttpServer();
    baseUrl = await server.start();
    transport = new DokuTransport(config());
  });

  afterEach(async () => {
    await transport.close();
    await server.stop();
  });

  it('sends the body byte for byte with the given headers and parses the answer', async () => {
    server.handler = (_req, res) => LocalHttpServer.json(res, 200, { responseCode: '2003800', referenceNo: 'R1' });
    const body = '{"b":"é \\/ ü","a":1}';
    const result = await transport.post({
      path: '/snap-adapter/b2b/v1.0/emoney/topup',
      headers: { 'Content-Type': 'application/json', 'X-EXTERNAL-ID': '123' },
      body,
    });
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/snap-adapter/b2b/v1.0/emoney/topup', body });
    expect(server.requests[0].headers['x-external-id']).toBe('123');
    expect(result).toMatchObject({ httpStatus: 200, responseCode: '2003800', body: { referenceNo: 'R1' } });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('reads a numeric responseCode as a string and tolerates a non-JSON body', async () => {
    server.handler = (_req, res) => LocalHttpServer.json(res, 200, { responseCode: 2003800 });
    await expect(transport.post({ path: '/a', headers: {}, body: '{}' })).resolves.toMatchObject({
      responseCode: '2003800',
    });
    server.handler = (_req, res) => res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html>bad gateway</html>');
    await expect(transport.post({ path: '/a', headers: {}, body: '{}' })).resolves.toMatchObject({
      httpStatus: 502,
      responseCode: undefined,
      body: undefined,
    });
  });

  it('reuses the kept-alive connection', async () => {
    server.handler = (_req, res) => LocalHttpServer.json(res, 200, { responseCode: '2003800' });
    const single = new DokuTransport(config({ poolConnections: 1 }));
    for (let i = 0; i < 3; i++) await single.post({ path: '/a', headers: {}, body: '{}' });
    await single.close();
    expect(new Set(server.requests.map((r) => r.remotePort)).size).toBe(1);
  });

  it('reports a server that never answers as a timeout with an unknown outcome', async () => {
    server.handler = () => undefined;
    const short = new DokuTransport(config({ timeoutMs: 300 }));
    const started = Date.now();
    const error = await short.post({ path: '/a', headers: {}, body: '{}', context }).catch((e: unknown) => e);
    await short.close();
    expect(error).toBeInstanceOf(DokuTimeoutError);
    expect(error).toMatchObject({ code: 'DOKU.TIMEOUT', outcomeUnknown: true, context });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out a response whose body stalls after the headers', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"responseCode":');
    };
    const short = new DokuTransport(config({ timeoutMs: 300 }));
    await expect(short.post({ path: '/a', headers: {}, body: '{}' })).rejects.toBeInstanceOf(DokuTimeoutError);
    await short.close();
  });

  it('aborts a response declared larger than the cap', async () => {
    server.handler = (_req, res) => LocalHttpServer.json(res, 200, { responseCode: '2003800', pad: 'x'.repeat(4096) });
    const error = await transport.post({ path: '/a', headers: {}, body: '{}' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DokuTransportError);
    expect(error).toMatchObject({ reason: 'RESPONSE_TOO_LARGE', outcomeUnknown: true });
  });

  it('aborts a chunked response once it passes the cap', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const timer = setInterval(() => res.write('x'.repeat(256)), 1);
      res.on('close', () => clearInterval(timer));
    };
    const error = await transport.post({ path: '/a', headers: {}, body: '{}' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'RESPONSE_TOO_LARGE' });
  });

  it('does not follow redirects', async () => {
    server.handler = (req, res) => {
      if (req.path === '/a') res.writeHead(307, { Location: '/elsewhere' }).end();
      else LocalHttpServer.json(res, 200, { responseCode: '2003800' });
    };
    const result = await transport.post({ path: '/a', headers: {}, body: '{}' });
    expect(result).toMatchObject({ httpStatus: 307, responseCode: undefined });
    expect(server.requests.map((r) => r.path)).toEqual(['/a']);
  });

  it('reports a refused connection as not sent (outcome known: nothing reached DOKU)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = new DokuTransport(config({ baseUrl: `http://127.0.0.1:${port}` }));
    const error = await refused.post({ path: '/a', headers: {}, body: '{}' }).catch((e: unknown) => e);
    await refused.close();
    expect(error).toBeInstanceOf(DokuTransportError);
    expect(error).toMatchObject({ reason: 'CONNECT_FAILED', requestSent: false, outcomeUnknown: false, code: 'DOKU.UNAVAILABLE' });
  });

  it('reports a connection dropped after sending as outcome unknown', async () => {
    server.handler = (_req, res) => res.socket?.destroy();
    const error = await transport.post({ path: '/a', headers: {}, body: '{}' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DokuTransportError);
    expect(error).toMatchObject({ reason: 'CONNECTION_LOST', outcomeUnknown: true, code: 'DOKU.OUTCOME_UNKNOWN' });
  });

  it.each(['http://127.0.0.1:1/prefix', 'ftp://127.0.0.1', 'http://user:pw@127.0.0.1', 'http://127.0.0.1/?q=1'])(
    'refuses the base URL %p',
    (url) => {
      expect(() => new DokuTransport(config({ baseUrl: url }))).toThrow(RangeError);
    },
  );

  it('refuses non-positive limits', () => {
    expect(() => new DokuTransport(config({ timeoutMs: 0 }))).toThrow('timeoutMs');
    expect(() => new DokuTransport(config({ maxResponseBytes: 1.5 }))).toThrow('maxResponseBytes');
  });
});
