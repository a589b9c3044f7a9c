import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createApp } from '../src/bootstrap';
import { loadConfig } from '../src/config/load-config';
import { createTestDatabase } from './support/test-database';

interface LogLine {
  msg?: string;
  req?: { id?: string; method?: string; url?: string; headers?: Record<string, unknown> };
  res?: { statusCode?: number };
  responseTime?: number;
  service?: string;
  pid?: number;
  hostname?: string;
}

describe('Request logs', () => {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  let app: NestFastifyApplication;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          raw.push(line);
          lines.push(JSON.parse(line) as LogLine);
        }
        done();
      },
    });
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', SIMULATOR_AUTOSTART: 'false' });
    app = await createApp(config, db.url, { runMigrations: false, logDestination: destination });
  });
  afterAll(async () => {
    await app.close();
    await drop();
  });

  const completed = () => lines.filter((l) => l.msg === 'request completed');

  it('writes one JSON line per request with its request id, route, status and duration', async () => {
    await request(app.getHttpServer()).get('/v1/me').set('x-request-id', 'log-test-1');
    await new Promise((r) => setTimeout(r, 50));
    const line = completed().find((l) => l.req?.id === 'log-test-1');
    expect(line).toMatchObject({ req: { id: 'log-test-1', method: 'GET', url: '/v1/me' }, res: { statusCode: 401 } });
    expect(typeof line!.responseTime).toBe('number');
  });

  it('names the service, process and host on every line, the access lines and the others alike', async () => {
    await request(app.getHttpServer()).get('/v1/me').set('x-request-id', 'log-test-5');
    await new Promise((r) => setTimeout(r, 50));
    const access = completed().find((l) => l.req?.id === 'log-test-5');
    expect(access).toMatchObject({ service: 'doku-wallet-partner', pid: process.pid });
    expect(typeof access!.hostname).toBe('string');
    // Start-up lines (Nest's own, through the same logger) carry the same bindings.
    const others = lines.filter((l) => l.msg !== 'request completed');
    expect(others.length).toBeGreaterThan(0);
    for (const l of others) expect(l.service).toBe('doku-wallet-partner');
  });

  it('never writes the authorization header, passwords or tokens', async () => {
    await request(app.getHttpServer())
      .post('/v1/auth/login')
      .set('x-request-id', 'log-test-2')
      .set('authorization', 'Bearer secret-token-value-123')
      .send({ email: 'nobody@example.com', password: 'password-canary-456' });
    await new Promise((r) => setTimeout(r, 50));
    const line = completed().find((l) => l.req?.id === 'log-test-2');
    expect(line?.req?.headers?.authorization).toBe('[redacted]');
    const all = raw.join('\n');
    expect(all).not.toContain('secret-token-value-123');
    expect(all).not.toContain('password-canary-456');
  });

  it('does not log health probes and metric scrapes', async () => {
    await request(app.getHttpServer()).get('/health/live').set('x-request-id', 'log-test-3');
    await request(app.getHttpServer()).get('/metrics').set('x-request-id', 'log-test-4');
    await new Promise((r) => setTimeout(r, 50));
    expect(completed().filter((l) => l.req?.id === 'log-test-3' || l.req?.id === 'log-test-4')).toEqual([]);
  });
});
