import type { WalletState } from '../../accounts/wallet-access.service';
import { checkBound, walletStateCte, walletStatesCte } from '../../accounts/wallet-access.service';
import { AppError } from '../../common/errors/app-error';
import type { PurchasePrecondition } from '../purchases.repository';

/**
 * For the channels that need no wallet and no binding (DANA, the checkout page): the customer's
 * account must exist and be open. A closed account (erased on request, docs/privacy.md) is as
 * unknown to a service charging it as one that never existed: 404 USER.NOT_FOUND, nothing written.
 */
export const OPEN_ACCOUNT: PurchasePrecondition = {
  sql: (params, userId) => {
    params.push(userId);
    return {
      cte: `w AS (SELECT id FROM users WHERE id = $${params.length}::uuid AND active)`,
      holds: `EXISTS (SELECT 1 FROM w)`,
      column: `EXISTS (SELECT 1 FROM w) AS user_found`,
    };
  },
  rowsSql: (usersParam) => ({
    cte: `w AS (SELECT id AS user_id FROM users WHERE id = ANY(${usersParam}) AND active)`,
    holds: `(w.user_id IS NOT NULL)`,
    column: `(w.user_id IS NOT NULL) AS user_found`,
  }),
  refusal: (row) => (row.user_found === true ? undefined : new AppError('USER.NOT_FOUND', 'No such user')),
};

/**
 * For the channels that pay with the user's DOKU Wallet customer token (the wallet itself, a KKI
 * card): the user's wallet must be bound; a refusal is the error `requireBoundWallet` gives.
 */
export const BOUND_WALLET: PurchasePrecondition = {
  sql: (params, userId) => {
    const wallet = walletStateCte(params, userId);
    return { cte: wallet.cte, holds: wallet.bound, column: wallet.column };
  },
  rowsSql: (usersParam) => {
    const wallets = walletStatesCte(usersParam);
    return { cte: wallets.cte, holds: wallets.bound, column: wallets.column };
  },
  refusal: (row) => {
    const bound = checkBound(row.wallet_state as WalletState | null);
    return bound instanceof AppError ? bound : undefined;
  },
};
