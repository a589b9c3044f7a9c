import { AuditModule } from '../audit/audit.module';
import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { StaffController } from './staff.controller';
import { StaffService } from './staff.service';
import { AuthModule } from '../auth/auth.module';
import { AdminController } from './admin.controller';
import { AdminRepository } from './admin.repository';
import { AdminService } from './admin.service';
import { TransactionsModule } from '../transactions/transactions.module';

/** Back-office reads (admin, support, finance), releasing a sign-in lock, and admins' roles and service clients. */
@Module({
  imports: [AuthModule, TransactionsModule, AuditModule, ClientsModule],
  controllers: [AdminController, StaffController],
  providers: [AdminRepository, AdminService, StaffService],
})
export class AdminModule {}
