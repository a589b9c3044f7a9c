import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { Agent, request } from 'undici';
import { closeConnectionsAfterAnswers } from './graceful-close';

/**
 * A request in flight when the server closes: answered, then its keep-alive connection is closed,
 * so the close ends with the answer instead of the keep-alive timeout.
 */
describe('closeConnectionsAfterAnswers', () => {
  async function serverWithSlowRoute(withClose: boolean) {
    const fastify = Fastify({ keepAliveTimeout: 60_000 });
    if (withClose) closeConnectionsAfterAnswers(fastify);
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    fastify.get('/slow', async () => {
      entered();
      await released;
      return { ok: true };
    });
    fastify.get('/fast', async () => ({ ok: true }));
    // Headers out at once, the body's end when released: an answer under way when the close begins.
    fastify.get('/stream', (_request, reply) => {
      const body = new PassThrough();
      void reply.type('text/plain').send(body);
      body.write('part one; ');
      entered();
      void released.then(() => body.end('part two'));
    });
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
    return { fastify, origin, inHandler, release };
  }

  /** Begins the close and returns it once it has reached the server itself (past Fastify's preClose hooks). */
  async function beginClose(fastify: FastifyInstance): Promise<{ closing: Promise<undefined> }> {
    const closing = fastify.close();
    while (fastify.server.listening) await new Promise((resolve) => setImmediate(resolve));
    return { closing };
  }

  /** 'closed' if the close ends within `ms`, else 'still open'. */
  async function closedWithin(closing: Promise<unknown>, ms: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still open'), ms)));
    try {
      return await Promise.race([closing.then(() => 'closed'), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  it('answers the request in flight with Connection: close, and the close ends right after it', async () => {
    const { fastify, origin, inHandler, release } = await serverWithSlowRoute(true);
    // A keep-alive client, as DOKU's notifier and the apps are.
    const agent = new Agent({ keepAliveTimeout: 60_000 });
    try {
      expect((await request(`${origin}/fast`, { dispatcher: agent })).statusCode).toBe(200);
      const answer = request(`${origin}/slow`, { dispatcher: agent });
      await inHandler;
      let closed = false;
      const { closing } = await beginClose(fastify);
      void closing.then(() => (closed = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(closed).toBe(false); // the request in flight holds the close
      release();
      const response = await answer;
      expect(response.statusCode).toBe(200);
      expect(response.headers.connection).toBe('close');
      expect(await response.body.json()).toEqual({ ok: true });
      const outcome = await closedWithin(closing, 5_000);
      expect(outcome).toBe('closed');
    } finally {
      await agent.close();
    }
  });

  it('an answer whose headers were out before the close began: its connection is closed once idle', async () => {
    const { fastify, origin, inHandler, release } = await serverWithSlowRoute(true);
    const agent = new Agent({ keepAliveTimeout: 60_000 });
    try {
      const response = await request(`${origin}/stream`, { dispatcher: agent });
      await inHandler;
      expect(response.headers.connection).toBe('keep-alive');
      const { closing } = await beginClose(fastify);
      release();
      expect(await response.body.text()).toBe('part one; part two');
      const outcome = await closedWithin(closing, 5_000);
      expect(outcome).toBe('closed');
    } finally {
      await agent.close();
    }
  });

  it('without it, the answered connection holds the close open (the behaviour this replaces)', async () => {
    const { fastify, origin, inHandler, release } = await serverWithSlowRoute(false);
    const agent = new Agent({ keepAliveTimeout: 60_000 });
    try {
      const answer = request(`${origin}/slow`, { dispatcher: agent });
      await inHandler;
      const { closing } = await beginClose(fastify);
      release();
      const response = await answer;
      await response.body.json();
      expect(response.headers.connection).toBe('keep-alive');
      const outcome = await closedWithin(closing, 1_000);
      expect(outcome).toBe('still open');
    } finally {
      await agent.destroy();
      fastify.server.closeAllConnections();
    }
  });
});
