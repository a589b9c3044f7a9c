import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/config.types';
import { PurchaseModule } from '../purchase/purchase.module';
import { DokuNotificationToken } from './entities/doku-notification-token.entity';
import { DokuNotification } from './entities/doku-notification.entity';
import { NotificationTokenController } from './notification-token.controller';
import { NotificationTokenService } from './notification-token.service';
import { NotificationsRepository } from './notifications.repository';
import { NotificationsService } from './notifications.service';
import { notifyControllerFor } from './notify.controller';

/** Calls from DOKU to us (§2.8): the token handshake and the notify endpoint. */
@Module({})
export class NotificationsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: NotificationsModule,
      imports: [TypeOrmModule.forFeature([DokuNotification, DokuNotificationToken]), PurchaseModule],
      controllers: [NotificationTokenController, notifyControllerFor(config.doku.notificationPath)],
      providers: [NotificationsRepository, NotificationTokenService, NotificationsService],
    };
  }
}
