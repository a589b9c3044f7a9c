import { Identity1763900000000 } from '../../migrations/1763900000000-Identity';
import { DokuIntegration1763910000000 } from '../../migrations/1763910000000-DokuIntegration';
import { Wallet1763920000000 } from '../../migrations/1763920000000-Wallet';
import { DokuNotifications1763940000000 } from '../../migrations/1763940000000-DokuNotifications';
import { WalletInquiries1763950000000 } from '../../migrations/1763950000000-WalletInquiries';
import { Reliability1763960000000 } from '../../migrations/1763960000000-Reliability';
import { Webhooks1763970000000 } from '../../migrations/1763970000000-Webhooks';
import { AbandonedRequests1763980000000 } from '../../migrations/1763980000000-AbandonedRequests';
import { OtpSends1763990000000 } from '../../migrations/1763990000000-OtpSends';
import { NotificationSweep1764000000000 } from '../../migrations/1764000000000-NotificationSweep';
import { TransactionExternalId1764100000000 } from '../../migrations/1764100000000-TransactionExternalId';
import { LoginProtection1764300000000 } from '../../migrations/1764300000000-LoginProtection';
import { OutboxSequencer1764400000000 } from '../../migrations/1764400000000-OutboxSequencer';
import { PrincipalChanges1764500000000 } from '../../migrations/1764500000000-PrincipalChanges';
import { PaymentMethod1764600000000 } from '../../migrations/1764600000000-PaymentMethod';
import { StatusQueryThrottle1764700000000 } from '../../migrations/1764700000000-StatusQueryThrottle';
import { ServiceClientReturnUrl1764710000000 } from '../../migrations/1764710000000-ServiceClientReturnUrl';
import { BindingOutcomes1764720000000 } from '../../migrations/1764720000000-BindingOutcomes';
import { UserEventFeed1764730000000 } from '../../migrations/1764730000000-UserEventFeed';
import { TransitionCauseCheck1764790000000 } from '../../migrations/1764790000000-TransitionCauseCheck';
import { CardPaymentMethod1764800000000 } from '../../migrations/1764800000000-CardPaymentMethod';
import { CheckoutChannel1764810000000 } from '../../migrations/1764810000000-CheckoutChannel';
import { BackOfficeAudit1764820000000 } from '../../migrations/1764820000000-BackOfficeAudit';
import { DataSubjectRights1764830000000 } from '../../migrations/1764830000000-DataSubjectRights';
import { EmoneyLimits1764850000000 } from '../../migrations/1764850000000-EmoneyLimits';
import { WebhookClaims1764910000000 } from '../../migrations/1764910000000-WebhookClaims';
import { DokuDisagreement1764920000000 } from '../../migrations/1764920000000-DokuDisagreement';
import { DokuDisagreementHandled1764930000000 } from '../../migrations/1764930000000-DokuDisagreementHandled';
import { CheckedByDomain1764940000000 } from '../../migrations/1764940000000-CheckedByDomain';
import { OutboxAggregateIndexDropped1764950000000 } from '../../migrations/1764950000000-OutboxAggregateIndexDropped';
import { NotificationIntakeFunction1764960000000 } from '../../migrations/1764960000000-NotificationIntakeFunction';
import { WaitingChildrenIndex1765170000000 } from '../../migrations/1765170000000-WaitingChildrenIndex';

/**
 * Every migration, in order. Listed explicitly (rather than globbed) so the compiled app, the CLI
 * and the TypeScript test run load exactly the same set.
 */
export const MIGRATIONS = [
  Identity1763900000000,
  DokuIntegration1763910000000,
  Wallet1763920000000,
  DokuNotifications1763940000000,
  WalletInquiries1763950000000,
  Reliability1763960000000,
  Webhooks1763970000000,
  AbandonedRequests1763980000000,
  OtpSends1763990000000,
  NotificationSweep1764000000000,
  TransactionExternalId1764100000000,
  LoginProtection1764300000000,
  OutboxSequencer1764400000000,
  PrincipalChanges1764500000000,
  PaymentMethod1764600000000,
  StatusQueryThrottle1764700000000,
  ServiceClientReturnUrl1764710000000,
  BindingOutcomes1764720000000,
  UserEventFeed1764730000000,
  TransitionCauseCheck1764790000000,
  CardPaymentMethod1764800000000,
  CheckoutChannel1764810000000,
  BackOfficeAudit1764820000000,
  DataSubjectRights1764830000000,
  EmoneyLimits1764850000000,
  WebhookClaims1764910000000,
  DokuDisagreement1764920000000,
  DokuDisagreementHandled1764930000000,
  CheckedByDomain1764940000000,
  OutboxAggregateIndexDropped1764950000000,
  NotificationIntakeFunction1764960000000,
  WaitingChildrenIndex1765170000000,
];
