import { AuthSession } from '../auth/entities/auth-session.entity';
import { DokuB2bToken } from '../auth-token/entities/doku-b2b-token.entity';
import { DokuCustomerToken } from '../auth-token/entities/doku-customer-token.entity';
import { RefreshToken } from '../auth/entities/refresh-token.entity';
import { ServiceClient } from '../clients/entities/service-client.entity';
import { DokuExchangeRecord } from '../integrations/doku/snap/entities/doku-exchange-record.entity';
import { User } from '../users/entities/user.entity';
import { Wallet } from '../accounts/entities/wallet.entity';
import { WalletBinding } from '../accounts/entities/wallet-binding.entity';
import { WalletRegistration } from '../accounts/entities/wallet-registration.entity';
import { OtpSend } from '../accounts/entities/otp-send.entity';
import { IdempotencyKey } from '../transactions/idempotency/idempotency-key.entity';
import { Transaction } from '../transactions/entities/transaction.entity';
import { BankTransferInquiry } from '../bank-transfer/entities/bank-transfer-inquiry.entity';
import { TopUpInquiry } from '../top-up/entities/top-up-inquiry.entity';
import { TransactionEvent } from '../transactions/entities/transaction-event.entity';

import { OutboxEvent } from '../outbox/entities/outbox-event.entity';
import { DokuNotification } from '../notifications/entities/doku-notification.entity';
import { DokuNotificationToken } from '../notifications/entities/doku-notification-token.entity';
import { WebhookSubscription } from '../webhooks/entities/webhook-subscription.entity';
import { WebhookDelivery } from '../webhooks/entities/webhook-delivery.entity';
import { LoginAttempt } from '../auth/entities/login-attempt.entity';
import { RateLimitCounter } from '../common/http/rate-limit-counter.entity';
import { DataSubjectErasure } from '../privacy/entities/data-subject-erasure.entity';

/** Every entity of the application; the data source, the CLI and the tests use this list. */
export const ENTITIES = [
  User,
  AuthSession,
  RefreshToken,
  LoginAttempt,
  RateLimitCounter,
  ServiceClient,
  Wallet,
  WalletRegistration,
  WalletBinding,
  OtpSend,
  Transaction,
  TransactionEvent,
  IdempotencyKey,
  DokuExchangeRecord,
  DokuB2bToken,
  DokuCustomerToken,
  BankTransferInquiry,
  TopUpInquiry,
  OutboxEvent,
  DokuNotification,
  DokuNotificationToken,
  WebhookSubscription,
  WebhookDelivery,
  DataSubjectErasure,
];
