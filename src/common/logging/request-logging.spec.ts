import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import type { AppConfigService } from '../../config/app-config.service';
import { AppLogs, RequestLogScope, requestLogScope } from './app-logs';
import { createRootLogger } from './logger-options';
import { installRequestLogging } from './request-logging';

interface Line {
  level: number;
  msg?: string;
  context?: string;
  req?: { id?: string; method?: string; url?: string; headers?: Record<string, unknown> };
  res?: { statusCode?: number };
  responseTime?: number;
  err?: { message?: string; stack?: string };
  orderId?: string;
  service?: string;
}

describe('request logging', () => {
  let lines: Line[];
  let fastify: FastifyInstance;
  let logs: AppLogs;
  let base: string;
  const call = (method: string, path: string, init: { headers?: Record<string, string>; body?: unknown } = {}) =>
    fetch(`${base}${path}`, { method, headers: init.headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });

  beforeEach(async () => {
    lines = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Line);
        done();
      },
    });
    logs = new AppLogs(createRootLogger({ app: { logLevel: 'info' } } as AppConfigService, destination));
    let n = 0;
    fastify = Fastify({ genReqId: () => `req-${++n}` });
    installRequestLogging(fastify, logs.root);
    const orders = logs.forContext('Orders');
    fastify.post('/orders', async (request) => {
      // After the body was parsed and after an await: still the request's scope.
      await tick();
      orders.info({ orderId: (request.body as { id: string }).id }, 'order taken');
      logs.nest.warn('nest line', 'OrdersController');
      return { ok: true };
    });
    fastify.get('/quiet', async () => ({ ok: true }));
    fastify.get('/boom', async () => {
      throw new Error('boom');
    });
    fastify.get('/health/live', async () => ({ ok: true }));
    fastify.get('/metrics', async () => 'metrics');
    await fastify.listen({ host: '127.0.0.1', port: 0 });
    const address = fastify.server.address() as AddressInfo;
    base = `http://127.0.0.1:${address.port}`;
  });
  afterEach(() => fastify.close());

  const settle = () => new Promise((r) => setTimeout(r, 20));

  it('binds the request to every line written while it is served, across body parsing and awaits', async () => {
    const res = await call('POST', '/orders?x=1', {
      headers: {
        authorization: 'Bearer secret-token-abc',
        cookie: 'session=cookie-secret-def',
        'x-signature': 'signature-secret-ghi',
        'x-private-note': 'not-a-kept-header',
        'content-type': 'application/json',
      },
      body: { id: 'o-1' },
    });
    expect(res.status).toBe(200);
    await settle();
    const taken = lines.find((l) => l.msg === 'order taken');
    expect(taken).toMatchObject({ context: 'Orders', orderId: 'o-1', req: { id: 'req-1', method: 'POST', url: '/orders?x=1' } });
    expect(lines.find((l) => l.msg === 'nest line')).toMatchObject({ level: 40, context: 'OrdersController', req: { id: 'req-1' } });
    const access = lines.find((l) => l.msg === 'request completed');
    expect(access).toMatchObject({ req: { id: 'req-1' }, res: { statusCode: 200 }, service: 'doku-wallet-partner' });
    expect(typeof access?.responseTime).toBe('number');
    // The serializer is the only guard (no pino redact paths): credentials marked, other headers left out.
    expect(access?.req?.headers).toMatchObject({ authorization: '[redacted]', cookie: '[redacted]', 'x-signature': '[redacted]' });
    expect(access?.req?.headers?.['x-private-note']).toBeUndefined();
    for (const secret of ['secret-token-abc', 'cookie-secret-def', 'signature-secret-ghi', 'not-a-kept-header']) {
      expect(JSON.stringify(lines)).not.toContain(secret);
    }
  });

  it('writes the access line of a request that logged nothing else, and of a failed one', async () => {
    await (await call('GET', '/quiet')).text();
    await (await call('GET', '/boom')).text();
    await settle();
    const access = lines.filter((l) => l.msg === 'request completed');
    expect(access.map((l) => [l.req?.url, l.res?.statusCode])).toEqual([
      ['/quiet', 200],
      ['/boom', 500],
    ]);
  });

  it('does not log health probes and metric scrapes', async () => {
    await (await call('GET', '/health/live')).text();
    await (await call('GET', '/metrics')).text();
    await settle();
    expect(lines.filter((l) => l.msg === 'request completed')).toEqual([]);
  });

  it('outside a request, lines go to the root logger without a request', async () => {
    logs.forContext('Scheduler').info({ orderId: 'o-2' }, 'swept');
    logs.nest.error('failed', 'Error: failed\n    at somewhere (file.js:1:1)', 'ExceptionsHandler');
    await settle();
    expect(lines.find((l) => l.msg === 'swept')).toMatchObject({ context: 'Scheduler', orderId: 'o-2' });
    expect(lines.find((l) => l.msg === 'swept')?.req).toBeUndefined();
    const error = lines.find((l) => l.context === 'ExceptionsHandler');
    expect(error).toMatchObject({ level: 50, err: { message: 'failed' } });
    expect(error?.err?.stack).toContain('at somewhere');
  });

  it('is quiet below its level', async () => {
    logs.forContext('Scheduler').debug({ orderId: 'o-3' }, 'not written');
    logs.nest.debug('not written either');
    await settle();
    expect(lines).toEqual([]);
  });

  it('a line below the level makes no request logger; the first written line makes it', () => {
    const scope = new RequestLogScope(logs.root, { id: 'req-x', method: 'POST', url: '/x', headers: {} });
    requestLogScope.run(scope, () => {
      logs.forContext('Verifier').debug('not written');
      logs.nest.debug('not written either');
      expect(scope.madeLogger).toBeUndefined();
      logs.forContext('Verifier').info('written');
      expect(scope.madeLogger).toBeDefined();
    });
  });
});
