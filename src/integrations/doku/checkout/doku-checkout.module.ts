import { Inject, Logger, Module } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { AppConfigService } from '../../../config/app-config.service';
import { DokuModule } from '../doku.module';
import { ExchangeRecorderService } from '../snap/exchange-recorder.service';
import { DokuCheckoutClient } from './checkout.client';

const logger = new Logger('DokuCheckoutModule');

/** Injection token of the checkout client; `null` when the checkout merchant is not configured. */
export const DOKU_CHECKOUT_CLIENT = Symbol('DOKU_CHECKOUT_CLIENT');

/**
 * The one construction point of the DOKU e-Wallet checkout client (docs/channels.md#doku-e-wallet-checkout),
 * with the merchant from `DOKU_CHECKOUT_CLIENT_ID` / `DOKU_CHECKOUT_SECRET_KEY`, DOKU's base URL and
 * timeouts, and the same exchange records as the SNAP calls. Without a configured merchant (or a
 * DOKU base URL) it provides `null`: the channel is off, and a feature offering it must say so.
 */
@Module({
  imports: [DokuModule],
  providers: [
    {
      provide: DOKU_CHECKOUT_CLIENT,
      inject: [AppConfigService, ExchangeRecorderService],
      useFactory: (config: AppConfigService, recorder: ExchangeRecorderService): DokuCheckoutClient | null => {
        const { baseUrl, checkout, timeoutMs, connectTimeoutMs, maxResponseBytes, poolConnections } = config.doku;
        if (!checkout || !baseUrl) {
          logger.log('DOKU e-Wallet checkout is not configured: the channel is off');
          return null;
        }
        return new DokuCheckoutClient(
          {
            baseUrl,
            clientId: checkout.clientId,
            secretKey: checkout.secretKey,
            timeoutMs,
            connectTimeoutMs,
            maxResponseBytes,
            poolConnections,
          },
          { recorder },
        );
      },
    },
  ],
  exports: [DOKU_CHECKOUT_CLIENT],
})
export class DokuCheckoutModule implements OnApplicationShutdown {
  constructor(@Inject(DOKU_CHECKOUT_CLIENT) private readonly client: DokuCheckoutClient | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client?.close();
  }
}
