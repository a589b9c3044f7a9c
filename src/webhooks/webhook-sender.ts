import { Injectable } from '@nestjs/common';
import { Agent, request } from 'undici';
import { AppConfigService } from '../config/app-config.service';
import { guardedLookup } from './webhook-url.validator';

export interface WebhookMessage {
  url: URL;
  /** The target is on the test allow-list (WEBHOOK_ALLOW_INSECURE_TARGETS): no address guard. */
  insecureAllowed: boolean;
  headers: Record<string, string>;
  body: string;
}

/** What one attempt got: an HTTP status, or an error code when no status came back. */
export interface WebhookAttemptResult {
  statusCode: number | null;
  error: string | null;
}

/** How much of a subscriber's answer we read before dropping the connection; its content is ignored. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one webhook. Redirects are never followed (undici's `request` does not follow them, and no
 * redirect interceptor is composed here): a 3xx is a failed attempt like any other non-2xx, so a
 * subscriber cannot bounce us to an internal address. Connections go through an agent whose DNS
 * lookup refuses forbidden addresses at connect time.
 */
@Injectable()
export class WebhookSender {
  private readonly guarded: Agent;
  private readonly unguarded: Agent;

  constructor(private readonly config: AppConfigService) {
    const timeoutMs = config.webhooks.timeoutMs;
    const common = { headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 10_000, maxResponseSize: MAX_RESPONSE_BYTES };
    this.guarded = new Agent({ ...common, connect: { timeout: timeoutMs, lookup: guardedLookup } });
    this.unguarded = new Agent({ ...common, connect: { timeout: timeoutMs } });
  }

  async send(message: WebhookMessage): Promise<WebhookAttemptResult> {
    const deadline = AbortSignal.timeout(this.config.webhooks.timeoutMs);
    try {
      const response = await request(message.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'doku-wallet-partner-webhooks/1', ...message.headers },
        body: message.body,
        dispatcher: message.insecureAllowed ? this.unguarded : this.guarded,
        signal: deadline,
      });
      await response.body.dump({ limit: MAX_RESPONSE_BYTES }).catch(() => undefined);
      return {
        statusCode: response.statusCode,
        error: response.statusCode >= 200 && response.statusCode < 300 ? null : `HTTP_${response.statusCode}`,
      };
    } catch (error) {
      if (deadline.aborted) return { statusCode: null, error: 'TIMEOUT' };
      const code = (error as { code?: unknown } | null)?.code;
      return { statusCode: null, error: typeof code === 'string' ? code.slice(0, 64) : 'CONNECTION_FAILED' };
    }
  }

  /**
   * Closes the connections once the attempts under way have their answers. The dispatcher calls it
   * on shutdown after its last pass: closed any earlier, the sends of that pass would fail and each
   * count as a failed attempt.
   */
  async close(): Promise<void> {
    await Promise.all([this.guarded.close(), this.unguarded.close()]);
  }
}
