import { Injectable, Logger } from '@nestjs/common';
import { WalletAccessService } from '../accounts/wallet-access.service';
import { CustomerDokuCalls } from '../accounts/customer-doku-calls.service';
import { AppError } from '../common/errors/app-error';
import { Money, rupiah } from '../common/money/money';
import { DokuBalance } from '../integrations/doku/wallet/balance.facade';
import type { WalletBalance } from '../integrations/doku/wallet/balance.mapper';
import { amountOrThrow } from '../integrations/doku/snap/doku-mapper';
import { DokuResponseError, DokuTimeoutError, DokuTransportError } from '../integrations/doku/snap/doku.errors';
import { BalanceResponseDto } from './dto/balance.response.dto';
import { newPartnerReference } from '../transactions/partner-reference';

const logger = new Logger('BalanceService');

@Injectable()
export class BalanceService {
  constructor(
    private readonly access: WalletAccessService,
    private readonly customerCalls: CustomerDokuCalls,
    private readonly doku: DokuBalance,
  ) {}

  async getBalance(userId: string): Promise<BalanceResponseDto> {
    await this.access.requireBoundWallet(userId);
    const balance = await this.inquire(userId);
    return toBalance(balance);
  }

  private async inquire(userId: string): Promise<WalletBalance> {
    try {
      const { body } = await this.customerCalls.run(userId, (token) => this.doku.inquire(token, newPartnerReference('BAL')));
      return body;
    } catch (error) {
      throw translate(error);
    }
  }
}

function translate(error: unknown): unknown {
  if (error instanceof DokuTimeoutError || error instanceof DokuTransportError) {
    return new AppError('DOKU.UNAVAILABLE', 'DOKU is not available right now; try again later', error.details);
  }
  if (error instanceof DokuResponseError && ['INVALID_SIGNATURE', 'DUPLICATE_EXTERNAL_ID', 'UNKNOWN', 'IN_PROGRESS'].includes(error.kind)) {
    return new AppError('DOKU.UNAVAILABLE', 'DOKU is not available right now; try again later', error.details);
  }
  return error;
}

/** The user's balance; an amount DOKU sent but we cannot read refuses the answer rather than show a wrong balance. */
function toBalance(balance: WalletBalance): BalanceResponseDto {
  const info = balance.account;
  if (!info) {
    logger.warn('DOKU balance answer carries no accountInfos');
    throw new AppError('DOKU.UNAVAILABLE', 'DOKU did not return a balance; try again later');
  }
  const ledger = amountOrThrow(info.ledgerBalance) ?? amountOrThrow(info.amount) ?? rupiah(0);
  const hold = amountOrThrow(info.holdAmount) ?? rupiah(0);
  const available = amountOrThrow(info.availableBalance) ?? amountOrThrow(info.amount) ?? rupiah(0);
  return {
    available: toJsonNumber(available),
    ledger: toJsonNumber(ledger),
    hold: toJsonNumber(hold),
    currency: 'IDR',
    status: info.status,
  };
}

function toJsonNumber(amount: Money): number {
  const n = Number(amount);
  if (!Number.isSafeInteger(n)) throw new AppError('INTERNAL.ERROR', 'Balance out of range');
  return n;
}
