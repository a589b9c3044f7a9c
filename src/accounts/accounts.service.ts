import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import { UsersRepository } from '../users/users.repository';
import { WalletResponseDto } from './dto/wallet.response.dto';
import { WalletsRepository } from './wallets.repository';

/** Reads of a user's wallet state: the user's own, or any user's for services and the back office. */
@Injectable()
export class AccountsService {
  constructor(
    private readonly wallets: WalletsRepository,
    private readonly users: UsersRepository,
  ) {}

  async getOwnWallet(userId: string): Promise<WalletResponseDto> {
    return WalletResponseDto.from(await this.wallets.findByUserId(userId));
  }

  async getWalletOfUser(userId: string): Promise<WalletResponseDto> {
    if (!(await this.users.findById(userId))) throw new AppError('USER.NOT_FOUND', 'User not found');
    return WalletResponseDto.from(await this.wallets.findByUserId(userId));
  }
}
