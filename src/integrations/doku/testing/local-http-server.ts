import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server received it: the raw body bytes decoded as UTF-8, nothing re-serialised. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  remotePort: number | undefined;
}

export type LocalHandler = (request: ReceivedRequest, response: ServerResponse, raw: IncomingMessage) => void;

/**
 * FOR TESTS ONLY. A tiny node:http server on 127.0.0.1, port 0, that records every request and
 * answers through a swappable handler. Used by the transport and client specs.
 */
export class LocalHttpServer {
  readonly requests: ReceivedRequest[] = [];
  handler: LocalHandler = (_req, res) => res.writeHead(500).end();
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received: ReceivedRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          remotePort: req.socket.remotePort,
        };
        this.requests.push(received);
        this.handler(received, res, req);
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Answers with a JSON body and the given status. */
  static json(response: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    response.end(text);
  }
}
