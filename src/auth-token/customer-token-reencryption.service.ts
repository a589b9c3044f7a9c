import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SecretBox } from '../common/crypto/secret-box';
import { PeriodicTask } from '../common/scheduling/periodic-task';
import { AppConfigService } from '../config/app-config.service';
import { CustomerTokensRepository } from './customer-tokens.repository';
import { customerTokenContext } from './customer-token-vault.service';

/** Rows re-encrypted per transaction. */
const BATCH = 100;

/**
 * Values another module seals with the same key (bank-transfer inquiries' account numbers), which
 * the same job seals again: that module registers them at start-up.
 */
export interface SealedValues {
  /** How `keys:vault-status` names them: `<name>ByKey`. */
  readonly name: string;
  /** Seals again, under the current key, up to `limit` rows sealed under another one, locked in `tx`; how many. */
  resealBatch(tx: EntityManager, box: SecretBox, limit: number): Promise<number>;
  /** The stored values by the key id that sealed them (`v1` for the first format). */
  countByKey(): Promise<Array<{ key: string; count: number }>>;
}

/**
 * After the token-encryption key changes (DOKU_TOKEN_ENCRYPTION_KEY, docs/operations.md#rotating-keys),
 * seals the stored customer tokens again under the new key, and then the registered `SealedValues`
 * (bank-transfer inquiries), a batch of locked rows per transaction, until none is left under an
 * older key. Reads go on throughout: every configured key opens what
 * it sealed, and a row being re-encrypted is one a renewal would wait for anyway.
 */
@Injectable()
export class CustomerTokenReencryptionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CustomerTokenReencryptionService.name);
  private readonly task = new PeriodicTask();
  private readonly others: SealedValues[] = [];

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
        if (count) this.logger.log(`Re-encrypted ${count} stored rows (customer tokens, inquiries) under key ${this.box.activeKeyId}`);
      },
      (e: unknown) => this.logger.error({ err: e }, 'customer token re-encryption failed'),
    );
  }

  onApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  register(values: SealedValues): void {
    this.others.push(values);
  }

  /** The registered values besides the customer tokens. */
  registered(): readonly SealedValues[] {
    return this.others;
  }

  /**
   * Batch after batch until no row is left under an older key; the number of rows sealed again
   * (a user's customer tokens count as one row).
   */
  async runOnce(): Promise<number> {
    let total = await this.drain(() => this.batch());
    for (const values of this.others) {
      total += await this.drain(() => this.db.transaction((tx) => values.resealBatch(tx, this.box, BATCH)));
    }
    return total;
  }

  private async drain(batch: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const count = await batch();
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
