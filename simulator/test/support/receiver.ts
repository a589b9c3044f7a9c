import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyHash, rsaVerify, snapSymmetric } from './signing';

export interface ReceivedNotification {
  headers: IncomingMessage['headers'];
  raw: string;
  body: Record<string, unknown>;
  symmetricValid: boolean;
  asymmetricValid: boolean;
  tokenValid: boolean;
}

/**
 * A tiny partner: issues tokens to DOKU after checking DOKU's RSA signature (the handshake, step 1), verifies each
 * notification's signature (step 2) and answers 2005600 (step 3), or fails the first `failFirst` calls.
 */
export class NotificationReceiver {
  readonly received: ReceivedNotification[] = [];
  tokenRequests = 0;
  failFirst = 0;
  /** The acknowledgement code answered with HTTP 200 (the documented one by default). */
  ackCode = '2005600';
  /** Delay before answering a token request (to see concurrent notifications share one). */
  tokenDelayMs = 0;
  private readonly tokens = new Set<string>();
  private server!: Server;
  url = '';

  constructor(
    private readonly clientSecret: string,
    private readonly dokuPublicKeyPem: () => string,
    readonly notifyPath = '/v1.0/debit/notify',
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const ts = String(req.headers['x-timestamp'] ?? '');
        const sig = String(req.headers['x-signature'] ?? '');
        res.setHeader('content-type', 'application/json');
        if (req.url === '/authorization/v1/access-token/b2b') {
          this.tokenRequests += 1;
          const clientId = String(req.headers['x-client-key'] ?? '');
          if (!rsaVerify(this.dokuPublicKeyPem(), `${clientId}|${ts}`, sig)) {
            res.statusCode = 401;
            res.end(JSON.stringify({ responseCode: '4017300', responseMessage: 'Unauthorized. Invalid Signature' }));
            return;
          }
          const token = `partner-issued-${this.tokenRequests}`;
          this.tokens.add(token);
          if (this.tokenDelayMs > 0) {
            setTimeout(
              () =>
                res.end(
                  JSON.stringify({
                    responseCode: '2007300',
                    responseMessage: 'Successful',
                    accessToken: token,
                    tokenType: 'Bearer',
                    expiresIn: 900,
                    additionalInfo: '',
                  }),
                ),
              this.tokenDelayMs,
            );
            return;
          }
          res.end(
            JSON.stringify({
              responseCode: '2007300',
              responseMessage: 'Successful',
              accessToken: token,
              tokenType: 'Bearer',
              expiresIn: 900,
              additionalInfo: '',
            }),
          );
          return;
        }
        if (req.url === this.notifyPath) {
          const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
          const entry: ReceivedNotification = {
            headers: req.headers,
            raw,
            body: JSON.parse(raw) as Record<string, unknown>,
            tokenValid: this.tokens.has(token),
            symmetricValid:
              snapSymmetric({ method: 'POST', path: this.notifyPath, token, body: raw, timestamp: ts, secret: this.clientSecret }) === sig,
            asymmetricValid: rsaVerify(this.dokuPublicKeyPem(), `POST:${this.notifyPath}:${bodyHash(raw)}:${ts}`, sig),
          };
          this.received.push(entry);
          if (this.failFirst > 0) {
            this.failFirst -= 1;
            res.statusCode = 500;
            res.end(JSON.stringify({ responseCode: '5005600', responseMessage: 'General Error' }));
            return;
          }
          res.end(JSON.stringify({ responseCode: this.ackCode, responseMessage: 'Successful' }));
          return;
        }
        res.statusCode = 404;
        res.end('{}');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async waitFor(count: number, timeoutMs = 5000): Promise<ReceivedNotification[]> {
    const until = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > until) throw new Error(`expected ${count} notifications, got ${this.received.length}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.received;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
