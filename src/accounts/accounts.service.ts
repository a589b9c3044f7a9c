import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import { UsersRepository } from '../users/users.repository';
import { WalletResponseDto } from './dto/wallet.response.dto';
import { WalletBindingsRepository } from './wallet-bindings.repository';
import { WalletRegistrationsRepository } from './wallet-registrations.repository';
import { WalletsRepository } from './wallets.repository';

/** Reads of a user's wallet state: the user's own, or any user's for services and the back office. */
@Injectable()
export class AccountsService {
  constructor(
    private readonly wallets: WalletsRepository,
    private readonly users: UsersRepository,
    private readonly bindings: WalletBindingsRepository,
    private readonly registrations: WalletRegistrationsRepository,
  ) {}

  async getOwnWallet(userId: string): Promise<WalletResponseDto> {
    return this.read(userId);
  }

  async getWalletOfUser(userId: string): Promise<WalletResponseDto> {
    if (!(await this.users.findById(userId))) throw new AppError('USER.NOT_FOUND', 'User not found');
    return this.read(userId);
  }

  /** The wallet with the latest binding and registration attempts, so a failed or cancelled one shows. */
  private async read(userId: string): Promise<WalletResponseDto> {
    const [wallet, binding, registration] = await Promise.all([
      this.wallets.findByUserId(userId),
      this.bindings.findLatestForUser(userId),
      this.registrations.findLatestForUser(userId),
    ]);
    return WalletResponseDto.from(wallet, { binding, registration });
  }
}
