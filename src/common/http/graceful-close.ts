import type { FastifyInstance } from 'fastify';

/** How often, while the server closes, connections that have gone idle are closed. */
const IDLE_SWEEP_MS = 200;

/**
 * A close that waits for the requests in flight, and no longer than they take.
 *
 * When the server closes, Node ends the keep-alive connections idle at that moment and stops
 * accepting new ones; new requests on an open connection get Fastify's 503. A request still being
 * served keeps its connection, though, and once answered that connection stays open for the
 * keep-alive timeout (Fastify's 72 s): the close waited that long, past any orchestrator's grace
 * period, for a connection nobody would use again. So from the moment the close begins every answer
 * says `Connection: close` (the client opens its next request elsewhere), and connections that go
 * idle anyway (an answer whose headers were already out) are closed every IDLE_SWEEP_MS.
 */
export function closeConnectionsAfterAnswers(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    const sweep = setInterval(() => fastify.server.closeIdleConnections(), IDLE_SWEEP_MS).unref();
    fastify.server.once('close', () => clearInterval(sweep));
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
}
