import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SecretBox } from '../common/crypto/secret-box';
import { PeriodicTask } from '../common/scheduling/periodic-task';
import { AppConfigService } from '../config/app-config.service';
import { CustomerTokensRepository } from './customer-tokens.repository';
import { customerTokenContext } from './customer-token-vault.service';

/** Rows re-encrypted per transaction. */
const BATCH = 100;

/**
 * After the token-encryption key changes (DOKU_TOKEN_ENCRYPTION_KEY, docs/operations.md#rotating-keys),
 * seals the stored customer tokens again under the new key, a batch of locked rows per transaction,
 * until none is left under an older key. Reads go on throughout: every configured key opens what
 * it sealed, and a row being re-encrypted is one a renewal would wait for anyway.
 */
@Injectable()
export class CustomerTokenReencryptionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CustomerTokenReencryptionService.name);
  private readonly task = new PeriodicTask();

  constructor(
    private readonly tokens: CustomerTokensRepository,
    @InjectDataSource() private readonly db: DataSource,
    private readonly box: SecretBox,
    private readonly config: AppConfigService,
  ) {}

  onApplicationBootstrap(): void {
    const interval = this.config.doku.tokenReencryptionIntervalMs;
    if (!interval) return;
    this.task.start(
      interval,
      async () => {
        const count = await this.runOnce();
        if (count) this.logger.log(`Re-encrypted the customer tokens of ${count} users under key ${this.box.activeKeyId}`);
      },
      (e: unknown) => this.logger.error({ err: e }, 'customer token re-encryption failed'),
    );
  }

  onApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  /** Batch after batch until no row is left under an older key; the number of users whose tokens were sealed again. */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const count = await this.batch();
      total += count;
      if (count < BATCH) return total;
    }
  }

  private batch(): Promise<number> {
    const prefix = `v2.${this.box.activeKeyId}.`;
    return this.db.transaction(async (tx) => {
      const rows = await this.tokens.findSealedUnderOtherKeys(tx, prefix, BATCH);
      for (const row of rows) {
        const reseal = (sealed: string | null, kind: 'access' | 'refresh') =>
          sealed === null || this.box.isCurrent(sealed)
            ? sealed
            : this.box.seal(this.box.open(sealed, customerTokenContext(row.userId, kind)), customerTokenContext(row.userId, kind));
        await this.tokens.replaceSealed(
          tx,
          row.userId,
          reseal(row.accessTokenCiphertext, 'access'),
          reseal(row.refreshTokenCiphertext, 'refresh'),
        );
      }
      return rows.length;
    });
  }
}
