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

/**
 * Every migration, in order. Listed explicitly (rather than globbed) so the compiled app, the CLI
 * and the TypeScript test run load exactly the same set.
 */
export const MIGRATIONS = [Identity1763900000000, DokuIntegration1763910000000, Wallet1763920000000, DokuNotifications1763940000000, WalletInquiries1763950000000, Reliability1763960000000, Webhooks1763970000000, AbandonedRequests1763980000000, OtpSends1763990000000, NotificationSweep1764000000000, TransactionExternalId1764100000000];
