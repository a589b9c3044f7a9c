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
    if (!wallet || wallet.status === 'NONE') {
      throw new AppError('WALLET.NOT_FOUND', 'This user has no DOKU Wallet yet: create or bind one first');
    }
    if (wallet.status === 'NEEDS_REBINDING') {
      throw new AppError('WALLET.NEEDS_REBINDING', 'The DOKU Wallet must be bound again before it can be used');
    }
    if (wallet.status !== 'BOUND' || !wallet.dokuAccountId || !wallet.phone) {
      throw new AppError('WALLET.NOT_BOUND', 'The DOKU Wallet is not bound to this app yet: bind it first');
    }
    return { wallet, accountId: wallet.dokuAccountId, phone: wallet.phone };
  }
}
