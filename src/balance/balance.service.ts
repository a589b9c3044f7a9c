import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { WalletAccessService } from '../accounts/wallet-access.service';
import { CustomerDokuCalls } from '../accounts/customer-doku-calls.service';
import { AppError } from '../common/errors/app-error';
import { Money, rupiah } from '../common/money/money';
import { fromOptionalSnapMoney } from '../integrations/doku/doku-mapper';
import { BalanceInquiryResponse } from '../integrations/doku/doku-wire.types';
import { DokuClient } from '../integrations/doku/doku.client';
import { DokuResponseError, DokuTimeoutError, DokuTransportError } from '../integrations/doku/doku.errors';
import { AccountStatus, BalanceResponseDto } from './dto/balance.response.dto';

/** §3.9 `accountInfos[].status`. */
const ACCOUNT_STATUS: Readonly<Record<string, AccountStatus>> = {
  '0001': 'ACTIVE',
  '0002': 'CLOSED',
  '0004': 'NEW',
  '0006': 'RESTRICTED',
  '0007': 'FROZEN',
  '0009': 'DORMANT',
};

const logger = new Logger('BalanceService');


@Injectable()
export class BalanceService {
  constructor(
    private readonly access: WalletAccessService,
    private readonly customerCalls: CustomerDokuCalls,
    private readonly doku: DokuClient,
  ) {}

  async getBalance(userId: string): Promise<BalanceResponseDto> {
    await this.access.requireBoundWallet(userId);
    const body = await this.inquire(userId);
    return toBalance(body);
  }

  private async inquire(userId: string): Promise<BalanceInquiryResponse> {
    try {
      const { body } = await this.customerCalls.run(userId, (token) =>
        this.doku.balanceInquiry(token, { partnerReferenceNo: `BAL-${randomUUID()}` }),
      );
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

function toBalance(body: BalanceInquiryResponse): BalanceResponseDto {
  const info = body.accountInfos?.[0];
  if (!info) {
    logger.warn('DOKU balance answer carries no accountInfos');
    throw new AppError('DOKU.UNAVAILABLE', 'DOKU did not return a balance; try again later');
  }
  const ledger = fromOptionalSnapMoney(info.ledgerBalance) ?? fromOptionalSnapMoney(info.amount) ?? rupiah(0);
  const hold = fromOptionalSnapMoney(info.holdAmount) ?? rupiah(0);
  const available = fromOptionalSnapMoney(info.availableBalance) ?? fromOptionalSnapMoney(info.amount) ?? rupiah(0);
  return {
    available: toJsonNumber(available),
    ledger: toJsonNumber(ledger),
    hold: toJsonNumber(hold),
    currency: 'IDR',
    status: ACCOUNT_STATUS[info.status ?? ''] ?? 'UNKNOWN',
  };
}

function toJsonNumber(amount: Money): number {
  const n = Number(amount);
  if (!Number.isSafeInteger(n)) throw new AppError('INTERNAL.ERROR', 'Balance out of range');
  return n;
}
