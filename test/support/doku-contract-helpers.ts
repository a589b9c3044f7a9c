import { randomInt } from 'node:crypto';
import { DEV_DOKU_CREDENTIALS } from '../../src/config/dev-credentials';
import type { DokuClientConfig, DokuClientOptions } from '../../src/integrations/doku/snap/doku.client';
import { DokuClient } from '../../src/integrations/doku/snap/doku.client';
import type { B2bTokenSource, DokuExchange, ExchangeRecorder, ExternalIdGenerator } from '../../src/integrations/doku/snap/doku.ports';
import { InMemoryExternalIdGenerator } from '../../src/integrations/doku/testing/in-memory-external-id-generator';

/**
 * Test doubles and flow helpers for the DOKU client ↔ simulator contract suite
 * (test/doku-contract.e2e-spec.ts). Nothing here talks to a database or the Nest app.
 */

/** Client configuration pointing at a simulator, with the development partner's credentials. */
export function contractConfig(baseUrl: string, overrides: Partial<DokuClientConfig> = {}): DokuClientConfig {
  return {
    baseUrl,
    clientId: DEV_DOKU_CREDENTIALS.clientId,
    clientSecret: DEV_DOKU_CREDENTIALS.clientSecret,
    privateKeyPem: DEV_DOKU_CREDENTIALS.partnerPrivateKeyPem,
    timeoutMs: 10_000,
    connectTimeoutMs: 2_000,
    maxResponseBytes: 1024 * 1024,
    poolConnections: 4,
    pathOverrides: {},
    ...overrides,
  };
}

/**
 * A B2B token provider like the real one in spirit: one cached token, fetched single-flight through
 * `DokuClient.b2bToken()`, dropped on `invalidate` only when it is still the current one.
 */
export class CachingB2bTokenProvider implements B2bTokenSource {
  /** Every token this provider obtained from DOKU, in order. */
  readonly issued: string[] = [];
  /** Every token a client reported as rejected. */
  readonly invalidated: string[] = [];
  private current: string | undefined;
  private inflight: Promise<string> | undefined;

  constructor(private readonly fetchToken: () => Promise<string>) {}

  get fetches(): number {
    return this.issued.length;
  }

  getToken(): Promise<string> {
    if (this.current !== undefined) return Promise.resolve(this.current);
    this.inflight ??= this.fetchToken()
      .then((token) => {
        this.current = token;
        this.issued.push(token);
        return token;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  invalidate(token: string): Promise<void> {
    this.invalidated.push(token);
    if (this.current === token) this.current = undefined;
    return Promise.resolve();
  }
}

/** Hands out `badTokens` first (one per getToken call), then delegates. Records what it was told. */
export class ScriptedB2bTokenProvider implements B2bTokenSource {
  readonly handedOut: string[] = [];
  readonly invalidated: string[] = [];

  constructor(
    private readonly badTokens: string[],
    private readonly delegate: B2bTokenSource | undefined,
  ) {}

  async getToken(): Promise<string> {
    const bad = this.badTokens.shift();
    const token = bad ?? (this.delegate ? await this.delegate.getToken() : 'never-valid-b2b-token');
    this.handedOut.push(token);
    return token;
  }

  async invalidate(token: string): Promise<void> {
    this.invalidated.push(token);
    await this.delegate?.invalidate(token);
  }
}

/** Returns the given ids in order, then falls back to fresh unique ids. */
export class QueuedExternalIds implements ExternalIdGenerator {
  private readonly fallback = new InMemoryExternalIdGenerator();

  constructor(private readonly queue: string[]) {}

  next(): Promise<string> {
    const id = this.queue.shift();
    return id !== undefined ? Promise.resolve(id) : this.fallback.next();
  }
}

/** Collects exchanges; every recorder created through it also lands in `all`. */
export class RecorderRegistry {
  readonly all: DokuExchange[] = [];

  create(): CollectingRecorder {
    return new CollectingRecorder(this.all);
  }
}

export class CollectingRecorder implements ExchangeRecorder {
  readonly exchanges: DokuExchange[] = [];

  constructor(private readonly sink: DokuExchange[]) {}

  record(exchange: DokuExchange): Promise<void> {
    this.exchanges.push(exchange);
    this.sink.push(exchange);
    return Promise.resolve();
  }

  /** Exchanges recorded after `mark` (a previous `exchanges.length`). */
  since(mark: number): DokuExchange[] {
    return this.exchanges.slice(mark);
  }
}

export interface ContractHarness {
  client: DokuClient;
  tokens: B2bTokenSource;
  recorder: CollectingRecorder;
  externalIds: ExternalIdGenerator;
}

/** Builds a client; when no token provider is given, a caching provider over this very client. */
export function buildHarness(
  registry: RecorderRegistry,
  config: DokuClientConfig,
  parts: { tokens?: B2bTokenSource; externalIds?: ExternalIdGenerator; options?: DokuClientOptions } = {},
): ContractHarness & { ownTokens: CachingB2bTokenProvider | undefined } {
  const recorder = registry.create();
  const externalIds = parts.externalIds ?? new InMemoryExternalIdGenerator();
  let ownTokens: CachingB2bTokenProvider | undefined;
  const tokens =
    parts.tokens ??
    (ownTokens = new CachingB2bTokenProvider(async () => {
      const answer = await client.b2bToken();
      return answer.body.accessToken as string;
    }));
  const client: DokuClient = new DokuClient(config, { tokens, externalIds, recorder }, parts.options ?? {});
  return { client, tokens, recorder, externalIds, ownTokens };
}

let sequence = 0;

/** A unique partner reference: `PREFIX-<base36 time>-<seq>` (≤ 64 characters). */
export function ref(prefix: string): string {
  sequence += 1;
  return `${prefix}-${Date.now().toString(36)}-${sequence}-${randomInt(1000)}`;
}

/** A fresh Indonesian mobile number, `62812` + 8 digits. */
export function phone(): string {
  sequence += 1;
  return `62812${String((Date.now() % 100_000) * 1000 + (sequence % 1000))
    .padStart(8, '0')
    .slice(-8)}`;
}

/** Follows one simulator page form post and returns the redirect target (the page answers 302). */
export async function submitForm(pageUrl: string, fields: Record<string, string>): Promise<URL> {
  const url = new URL(pageUrl);
  const token = url.searchParams.get('token') ?? fields.token;
  const form = new URLSearchParams({ ...fields, ...(token ? { token } : {}) });
  const response = await fetch(`${url.origin}${url.pathname}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  await response.text();
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) throw new Error(`page ${url.pathname} answered ${response.status}, not a redirect`);
  return new URL(location);
}

/** Everything a recorded exchange must never contain (docs/doku-integration.md#redaction). */
export class SecretBook {
  /** Long secrets (client secret, tokens, authCodes): must not appear anywhere, not even as a substring. */
  private readonly long = new Set<string>();
  /** Short numeric secrets (OTPs, PINs): must not appear as a whole number in any string. */
  private readonly short = new Set<string>();

  add(value: string | undefined): void {
    if (value) this.long.add(value);
  }

  addShort(value: string | undefined): void {
    if (value) this.short.add(value);
  }

  get size(): number {
    return this.long.size + this.short.size;
  }

  /** The secrets found in `value` (a recorded exchange), described without printing them in full. */
  leaksIn(value: unknown): string[] {
    const text = JSON.stringify(value);
    const leaks: string[] = [];
    for (const secret of this.long) if (text.includes(secret)) leaks.push(`${secret.slice(0, 6)}…(${secret.length} chars)`);
    const strings: string[] = [];
    collectStrings(value, strings);
    for (const secret of this.short) {
      const pattern = new RegExp(`(^|\\D)${secret}(\\D|$)`);
      if (strings.some((s) => pattern.test(s))) leaks.push(`short secret of ${secret.length} digits`);
    }
    return leaks;
  }
}

function collectStrings(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number') out.push(String(value));
  else if (Array.isArray(value)) value.forEach((v) => collectStrings(v, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out.push(k);
      collectStrings(v, out);
    }
  }
}

/** Polls `check` until it returns true (bounded); for state the simulator settles after a timeout. */
export async function eventually(check: () => boolean, what: string, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
