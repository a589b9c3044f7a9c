import { Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { B2bTokenService } from '../../auth-token/b2b-token.service';
import { B2bTokensRepository } from '../../auth-token/b2b-tokens.repository';
import { DokuB2bToken } from '../../auth-token/entities/doku-b2b-token.entity';
import { SecretBox } from '../../common/crypto/secret-box';
import { AppConfigService } from '../../config/app-config.service';
import { DokuClock } from './doku-clock';
import { DokuExchangesRepository } from './doku-exchanges.repository';
import { DokuClient } from './doku.client';
import { DokuTransportError } from './doku.errors';
import { DOKU_B2B_TOKEN_PROVIDER, DOKU_EXCHANGE_RECORDER, DOKU_EXTERNAL_ID_GENERATOR } from './doku.ports';
import { DokuExchangeRecord } from './entities/doku-exchange-record.entity';
import { ExchangeRecorderService } from './exchange-recorder.service';
import { SequenceExternalIdGenerator } from './external-id.generator';
import { ExternalIdRepository } from './external-id.repository';

const logger = new Logger('DokuModule');

/**
 * With no DOKU base URL (development without the simulator) the app still boots; every DOKU call
 * then fails as DOKU.UNAVAILABLE, which is what it is.
 */
function unreachableDokuClient(client: DokuClient): DokuClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'close' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return () => Promise.reject(new DokuTransportError(undefined, 'CONNECT_FAILED', false));
    },
  });
}

function createDokuClient(
  config: AppConfigService,
  tokens: B2bTokenService,
  externalIds: SequenceExternalIdGenerator,
  recorder: ExchangeRecorderService,
  clock: DokuClock,
): DokuClient {
  const { baseUrl, ...doku } = config.doku;
  // The placeholder only lets the client be built; the proxy answers before any socket is opened.
  const client = new DokuClient({ ...doku, baseUrl: baseUrl ?? 'http://127.0.0.1' }, { tokens, externalIds, recorder }, { now: () => clock.now() });
  if (baseUrl) return client;
  logger.warn('DOKU_BASE_URL is not set: DOKU calls will fail with DOKU.UNAVAILABLE');
  return unreachableDokuClient(client);
}

/**
 * The one construction point of the DOKU client (STYLE.md shape 3) and of what it needs from the
 * database: the fleet-wide B2B token, X-EXTERNAL-ID blocks from a sequence, and the exchange log.
 */
@Module({
  imports: [TypeOrmModule.forFeature([DokuExchangeRecord, DokuB2bToken])],
  providers: [
    DokuClock,
    { provide: SecretBox, inject: [AppConfigService], useFactory: (config: AppConfigService) => new SecretBox(config.doku.tokenEncryptionKey) },
    ExternalIdRepository,
    SequenceExternalIdGenerator,
    DokuExchangesRepository,
    ExchangeRecorderService,
    B2bTokensRepository,
    B2bTokenService,
    { provide: DOKU_B2B_TOKEN_PROVIDER, useExisting: B2bTokenService },
    { provide: DOKU_EXTERNAL_ID_GENERATOR, useExisting: SequenceExternalIdGenerator },
    { provide: DOKU_EXCHANGE_RECORDER, useExisting: ExchangeRecorderService },
    {
      provide: DokuClient,
      inject: [AppConfigService, B2bTokenService, SequenceExternalIdGenerator, ExchangeRecorderService, DokuClock],
      useFactory: createDokuClient,
    },
  ],
  exports: [
    DokuClient,
    DokuClock,
    SecretBox,
    B2bTokenService,
    SequenceExternalIdGenerator,
    ExchangeRecorderService,
    DokuExchangesRepository,
    DOKU_B2B_TOKEN_PROVIDER,
    DOKU_EXTERNAL_ID_GENERATOR,
    DOKU_EXCHANGE_RECORDER,
  ],
})
export class DokuModule implements OnApplicationShutdown {
  constructor(
    private readonly client: DokuClient,
    private readonly recorder: ExchangeRecorderService,
  ) {}

  // Runs after the HTTP server has drained (Nest disposes it before this hook) and before the
  // global TypeORM module closes the pool: the last exchanges are recorded, then stored.
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
    await this.recorder.flush();
  }
}
