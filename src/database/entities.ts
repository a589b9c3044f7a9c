import { AuthSession } from '../auth/entities/auth-session.entity';
import { RefreshToken } from '../auth/entities/refresh-token.entity';
import { ServiceClient } from '../clients/entities/service-client.entity';
import { User } from '../users/entities/user.entity';
import { Wallet } from '../accounts/entities/wallet.entity';
import { WalletBinding } from '../accounts/entities/wallet-binding.entity';
import { WalletRegistration } from '../accounts/entities/wallet-registration.entity';
import { IdempotencyKey } from '../common/idempotency/idempotency-key.entity';
import { Transaction } from '../transactions/entities/transaction.entity';
import { TransactionEvent } from '../transactions/entities/transaction-event.entity';

/** Every entity of the application; the data source, the CLI and the tests use this list. */
export const ENTITIES = [
  User,
  AuthSession,
  RefreshToken,
  ServiceClient,
  Wallet,
  WalletRegistration,
  WalletBinding,
  Transaction,
  TransactionEvent,
  IdempotencyKey,
];
