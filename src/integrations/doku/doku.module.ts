import { Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecretBox } from '../../common/crypto/secret-box';
import { AppConfigService } from '../../config/app-config.service';
import { DokuBalance } from './wallet/balance.facade';
import { DokuCustomerTokens } from './wallet/customer-token.facade';
import { DokuClock } from './snap/doku-clock';
import { DokuExchangesRepository } from './snap/doku-exchanges.repository';
import { DokuClient } from './snap/doku.client';
import { DokuTransportError } from './snap/doku.errors';
import { B2B_TOKEN_SOURCE, DOKU_EXCHANGE_RECORDER, DOKU_EXTERNAL_ID_GENERATOR } from './snap/doku.ports';
import type { B2bTokenSource } from './snap/doku.ports';
import { DokuExchangeRecord } from './snap/entities/doku-exchange-record.entity';
import { ExchangeRecorderService } from './snap/exchange-recorder.service';
import { SequenceExternalIdGenerator } from './snap/external-id.generator';
import { ExternalIdRepository } from './snap/external-id.repository';
import { DokuDana } from './dana/dana.facade';
import { DokuHistory } from './wallet/history.facade';
import { DokuPurchases } from './wallet/purchase.facade';
import { DokuKkiCards } from './kki/kki.facade';
import { KkiRefundNumbers } from './kki/kki-refund-number';
import { DokuRefunds } from './wallet/refund.facade';
import { DokuTopUps } from './wallet/top-up.facade';
import { DokuBankTransfers } from './wallet/transfer.facade';
import { DokuWalletAccounts } from './wallet/wallet-account.facade';

const logger = new Logger('DokuModule');

/**
 * With no DOKU base URL (development without the simulator) the app still boots; every DOKU call
 * then fails as DOKU.UNAVAILABLE, which is what it is.
 */
function unreachableDokuClient(client: DokuClient): DokuClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'close' || typeof value !== 'function')
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      return () => Promise.reject(new DokuTransportError(undefined, 'CONNECT_FAILED', false));
    },
  });
}

/**
 * The B2B token source, found by its injection token on first use. The module that provides it
 * (`AuthTokenModule`) fetches tokens through the client built here, so the client cannot be given
 * the source at construction; `DokuModule.onApplicationBootstrap` checks at start that one exists.
 */
class LazyB2bTokenSource implements B2bTokenSource {
  private source: B2bTokenSource | undefined;

  constructor(private readonly moduleRef: ModuleRef) {}

  resolve(): B2bTokenSource {
    this.source ??= this.moduleRef.get<B2bTokenSource>(B2B_TOKEN_SOURCE, { strict: false });
    return this.source;
  }

  getToken(): Promise<string> {
    return this.resolve().getToken();
  }

  invalidate(token: string): Promise<void> {
    return this.resolve().invalidate(token);
  }
}

function createDokuClient(
  config: AppConfigService,
  tokens: LazyB2bTokenSource,
  externalIds: SequenceExternalIdGenerator,
  recorder: ExchangeRecorderService,
  clock: DokuClock,
): DokuClient {
  const { baseUrl, ...doku } = config.doku;
  // The placeholder only lets the client be built; the proxy answers before any socket is opened.
  const client = new DokuClient(
    { ...doku, baseUrl: baseUrl ?? 'http://127.0.0.1' },
    { tokens, externalIds, recorder },
    { now: () => clock.now() },
  );
  if (baseUrl) return client;
  logger.warn('DOKU_BASE_URL is not set: DOKU calls will fail with DOKU.UNAVAILABLE');
  return unreachableDokuClient(client);
}

/**
 * What the features call DOKU through: one facade per product, speaking our own types, each mapping
 * to and from the wire with its `*.mapper.ts` over the one client.
 */
const PRODUCT_FACADES = [
  DokuPurchases,
  DokuDana,
  DokuRefunds,
  DokuTopUps,
  DokuBankTransfers,
  DokuHistory,
  DokuBalance,
  DokuCustomerTokens,
  DokuWalletAccounts,
];

/** The other SNAP channels' facades (docs/channels.md), over the same client. */
const CHANNEL_FACADES = [DokuKkiCards];

/**
 * The one construction point of the DOKU client (docs/ARCHITECTURE.md#conventions) and of what it
 * needs from the database: X-EXTERNAL-ID blocks from a sequence and the exchange log. The
 * fleet-wide B2B token comes through the `B2bTokenSource` interface, which `AuthTokenModule`
 * provides under `B2B_TOKEN_SOURCE`: this folder imports nothing of its implementation. The features use the product facades; the client itself stays for the token
 * provider, the account flows and the tests that speak the wire.
 */
@Module({
  imports: [TypeOrmModule.forFeature([DokuExchangeRecord])],
  providers: [
    DokuClock,
    {
      provide: SecretBox,
      inject: [AppConfigService],
      useFactory: (config: AppConfigService) => new SecretBox(config.doku.tokenEncryptionKeys),
    },
    ExternalIdRepository,
    SequenceExternalIdGenerator,
    DokuExchangesRepository,
    ExchangeRecorderService,
    { provide: LazyB2bTokenSource, inject: [ModuleRef], useFactory: (moduleRef: ModuleRef) => new LazyB2bTokenSource(moduleRef) },
    { provide: DOKU_EXTERNAL_ID_GENERATOR, useExisting: SequenceExternalIdGenerator },
    { provide: DOKU_EXCHANGE_RECORDER, useExisting: ExchangeRecorderService },
    {
      provide: DokuClient,
      inject: [AppConfigService, LazyB2bTokenSource, SequenceExternalIdGenerator, ExchangeRecorderService, DokuClock],
      useFactory: createDokuClient,
    },
    ...PRODUCT_FACADES,
    KkiRefundNumbers,
    ...CHANNEL_FACADES,
  ],
  exports: [
    DokuClient,
    ...PRODUCT_FACADES,
    ...CHANNEL_FACADES,
    DokuClock,
    SecretBox,
    SequenceExternalIdGenerator,
    ExchangeRecorderService,
    DokuExchangesRepository,
    DOKU_EXTERNAL_ID_GENERATOR,
    DOKU_EXCHANGE_RECORDER,
  ],
})
export class DokuModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly client: DokuClient,
    private readonly recorder: ExchangeRecorderService,
    private readonly tokenSource: LazyB2bTokenSource,
  ) {}

  // An application without a B2B token source fails at start, not on its first DOKU call.
  onApplicationBootstrap(): void {
    this.tokenSource.resolve();
  }

  // Runs after the HTTP server has drained (Nest disposes it before this hook) and before the
  // global TypeORM module closes the pool: the last exchanges are recorded, then stored.
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
    await this.recorder.flush();
  }
}
