import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CustomerTokenReencryptionService, SealedValues } from '../auth-token/customer-token-reencryption.service';
import { SecretBox } from '../common/crypto/secret-box';
import { BankTransferRepository } from './bank-transfer.repository';
import { inquirySealContext } from './bank-transfer.service';

/**
 * The account numbers of bank-transfer inquiries, sealed with the token-vault key: after a key
 * switch the vault's background job seals them again under the new key, with the customer tokens
 * (docs/operations.md#rotating-keys). An inquiry still to be confirmed, or a transfer that may be
 * sent again, then reads its account number once the old key is gone.
 */
@Injectable()
export class BankInquiryResealer implements SealedValues, OnModuleInit {
  readonly name = 'transferInquiries';

  constructor(
    private readonly inquiries: BankTransferRepository,
    private readonly reencryption: CustomerTokenReencryptionService,
  ) {}

  onModuleInit(): void {
    this.reencryption.register(this);
  }

  async resealBatch(tx: EntityManager, box: SecretBox, limit: number): Promise<number> {
    const rows = await this.inquiries.findSealedUnderOtherKeys(tx, `v2.${box.activeKeyId}.`, limit);
    for (const row of rows) {
      const context = inquirySealContext(row.userId, row.partnerReferenceNo);
      await this.inquiries.replaceSealed(tx, row.id, box.seal(box.open(row.accountNumberSealed, context), context));
    }
    return rows.length;
  }

  countByKey(): Promise<Array<{ key: string; count: number }>> {
    return this.inquiries.countSealedByKey();
  }
}
