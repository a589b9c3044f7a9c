import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller';
import { AdminRepository } from './admin.repository';
import { AdminService } from './admin.service';

/** Back-office reads (admin, support, finance). */
@Module({
  controllers: [AdminController],
  providers: [AdminRepository, AdminService],
})
export class AdminModule {}
