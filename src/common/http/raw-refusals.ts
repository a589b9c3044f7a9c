import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error';
import type { ErrorCode } from '../errors/error-codes';

/**
 * Requests Node refuses before fastify sees them (headers too large, not valid HTTP, too slow to
 * arrive) are answered on the socket with the API's error body instead of Node's bare status line.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, ErrorCode, string] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'REQUEST.HEADERS_TOO_LARGE', 'The request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST.TIMEOUT', 'The request took too long to arrive']
        : [400, 'REQUEST.MALFORMED', 'The request is not valid HTTP'];
  const body = JSON.stringify({ error: { code, message, requestId: randomUUID() } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Paths that try to climb out of a folder (`..` segments, encoded or not, encoded slashes or
 * backslashes) name nothing here: 404 with the API's error body before any route or static file
 * handler sees them.
 */
export function refuseTraversal(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
  const path = request.url.split('?', 1)[0];
  if (/%2e|%2f|%5c|\\/i.test(path) || /(^|\/)\.\.?(\/|$)/.test(path)) {
    return done(new AppError('REQUEST.NOT_FOUND', 'No such route'));
  }
  done();
}
