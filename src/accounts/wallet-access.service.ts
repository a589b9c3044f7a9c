import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { Wallet } from './entities/wallet.entity';
import { WalletsRepository } from './wallets.repository';

export interface BoundWallet {
  wallet: Wallet;
  /** DOKU account id (10 digits). */
  accountId: string;
  /** The wallet phone in 62… form, SNAP `customerNumber`. */
  phone: string;
}

/** The wallet columns the bound-wallet check reads. */
export type WalletState = Pick<Wallet, 'status' | 'dokuAccountId' | 'phone'>;

/** What the bound-wallet check reads of a wallet, and its condition on the row `w`. */
const WALLET_STATE_COLUMNS = `status, doku_account_id AS "dokuAccountId", phone`;
const WALLET_BOUND = `w.status = 'BOUND' AND w."dokuAccountId" IS NOT NULL AND w.phone IS NOT NULL`;

/**
 * The CTE `w`: the user's wallet as the bound-wallet check reads it, for a WITH list; `bound` is
 * the SQL condition that it is bound. A money operation's commit-1 statement writes only under it,
 * and answers `w` so a refusal gets the same error as `requireBoundWallet` gives.
 */
export function walletStateCte(params: unknown[], userId: string): { cte: string; bound: string; column: string } {
  params.push(userId);
  return {
    cte: `w AS (SELECT ${WALLET_STATE_COLUMNS} FROM wallets WHERE user_id = $${params.length}::uuid)`,
    bound: `EXISTS (SELECT 1 FROM w WHERE ${WALLET_BOUND})`,
    column: `(SELECT row_to_json(w) FROM w) AS wallet_state`,
  };
}

/**
 * `walletStateCte` for several users at once (a statement shared by several operations): CTE `w`
 * with one row per wallet of the users in the uuid[] parameter `usersParam`, keyed by `user_id`, to
 * be LEFT JOINed as `w`; `bound` and `column` read the joined row.
 */
export function walletStatesCte(usersParam: string): { cte: string; bound: string; column: string } {
  return {
    cte: `w AS (SELECT user_id, ${WALLET_STATE_COLUMNS} FROM wallets WHERE user_id = ANY(${usersParam}))`,
    bound: `(${WALLET_BOUND})`,
    column: `CASE WHEN w.user_id IS NULL THEN NULL ELSE json_build_object('status', w.status, 'dokuAccountId', w."dokuAccountId", 'phone', w.phone) END AS wallet_state`,
  };
}

/** The wallet with its DOKU account and phone when it is bound; otherwise why it cannot pay. */
export function checkBound<W extends WalletState>(
  wallet: W | null | undefined,
): { wallet: W; accountId: string; phone: string } | AppError {
  if (!wallet || wallet.status === 'NONE') {
    return new AppError('WALLET.NOT_FOUND', 'This user has no DOKU Wallet yet: create or bind one first');
  }
  if (wallet.status === 'NEEDS_REBINDING') {
    return new AppError('WALLET.NEEDS_REBINDING', 'The DOKU Wallet must be bound again before it can be used');
  }
  if (wallet.status !== 'BOUND' || !wallet.dokuAccountId || !wallet.phone) {
    return new AppError('WALLET.NOT_BOUND', 'The DOKU Wallet is not bound to this app yet: bind it first');
  }
  return { wallet, accountId: wallet.dokuAccountId, phone: wallet.phone };
}

/** The one check every wallet operation starts with: does this user have a bound DOKU Wallet? */
@Injectable()
export class WalletAccessService {
  constructor(private readonly wallets: WalletsRepository) {}

  /**
   * Inside a money operation's commit 1 pass its `tx`: asking the pool for a second connection
   * while holding one deadlocks the pool when concurrent requests on the same key hold the rest.
   */
  async requireBoundWallet(userId: string, tx?: EntityManager): Promise<BoundWallet> {
    const wallet = await this.wallets.findByUserId(userId, tx);
    const bound = checkBound(wallet);
    if (bound instanceof AppError) throw bound;
    return bound;
  }
}
