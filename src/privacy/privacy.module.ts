import { AuditModule } from '../audit/audit.module';
import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { PrincipalCacheModule } from '../common/auth/principal-cache.module';
import { DokuModule } from '../integrations/doku/doku.module';
import { OutboxModule } from '../outbox/outbox.module';
import { DataExportService } from './data-export.service';
import { ErasureService } from './erasure.service';
import { PrivacyController } from './privacy.controller';
import { PrivacyRepository } from './privacy.repository';
import { RetentionService } from './retention.service';

/** Data-subject rights and retention (docs/privacy.md): export, erasure, the retention job. */
@Module({
  imports: [AccountsModule, AuditModule, DokuModule, OutboxModule, PrincipalCacheModule],
  controllers: [PrivacyController],
  providers: [PrivacyRepository, DataExportService, ErasureService, RetentionService],
})
export class PrivacyModule {}
