import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/config.types';
import { PurchaseModule } from '../purchase/purchase.module';
import { DokuNotificationToken } from './entities/doku-notification-token.entity';
import { DokuNotification } from './entities/doku-notification.entity';
import { NotificationTokenController } from './notification-token.controller';
import { NotificationTokenService } from './notification-token.service';
import { NotificationsRepository } from './notifications.repository';
import { NotificationProcessor } from './notification-processor';
import { NotificationVerifier } from './notification-verifier';
import { NotificationsService } from './notifications.service';
import { notifyControllerFor } from './notify.controller';
import { checkoutNotifyControllerFor } from './checkout-notify.controller';
import { CheckoutNotificationsService } from './checkout-notifications.service';
import { MetricsModule } from '../metrics/metrics.module';

/** Calls from DOKU to us (docs/doku-integration.md#notifications): the token handshake and the notify endpoint. */
@Module({})
export class NotificationsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: NotificationsModule,
      imports: [TypeOrmModule.forFeature([DokuNotification, DokuNotificationToken]), PurchaseModule, MetricsModule],
      controllers: [
        NotificationTokenController,
        notifyControllerFor(config.doku.notificationPath),
        // The e-Wallet checkout's notifications, only when its merchant is configured (docs/channels.md).
        ...(config.doku.checkout ? [checkoutNotifyControllerFor(config.doku.checkout.notificationPath)] : []),
      ],
      providers: [
        NotificationsRepository,
        NotificationTokenService,
        NotificationVerifier,
        NotificationProcessor,
        NotificationsService,
        CheckoutNotificationsService,
      ],
    };
  }
}
