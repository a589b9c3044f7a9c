import { Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { WalletAccessService } from '../accounts/wallet-access.service';
import { CustomerDokuCalls } from '../accounts/customer-doku-calls.service';
import { SecretBox } from '../common/crypto/secret-box';
import { AppError } from '../common/errors/app-error';
import {
  IdempotencyContext,
  IdempotencyService,
  IdempotentResponse,
  StoredResponse,
} from '../transactions/idempotency/idempotency.service';
import { amountWithinLimit } from '../common/money/amount-limit';
import { AppConfigService } from '../config/app-config.service';
import { maskTail } from '../integrations/doku/snap/doku-redaction';
import { DokuResponseError } from '../integrations/doku/snap/doku.errors';
import { DokuHistory } from '../integrations/doku/wallet/history.facade';
import { DokuBankTransfers } from '../integrations/doku/wallet/transfer.facade';
import type { BankTransferResult } from '../integrations/doku/wallet/transfer.mapper';
import { rejectionResponse } from '../transactions/stored-response';
import { applyImmediateOutcome, captureDokuOutcome, DokuOutcome } from '../transactions/doku-outcome';
import { Transaction } from '../transactions/entities/transaction.entity';
import { isUnresolved } from '../transactions/transaction-state';
import { TransactionsRepository } from '../transactions/transactions.repository';
import { renderedRejection } from '../transactions/rendered-response';
import { TransactionResolverRegistry } from '../transactions/transaction-resolver.registry';
import { BankTransferRepository } from './bank-transfer.repository';
import { EmoneyLimits } from '../limits/emoney-limits.service';
import { BankTransferInquiryResponseDto } from './dto/bank-transfer-inquiry.response.dto';
import { BankTransferResponseDto } from './dto/bank-transfer.response.dto';
import { CreateBankTransferInquiryRequestDto } from './dto/create-bank-transfer-inquiry.request.dto';
import { CreateBankTransferRequestDto } from './dto/create-bank-transfer.request.dto';
import { BankTransferInquiry } from './entities/bank-transfer-inquiry.entity';
import { newPartnerReference } from '../transactions/partner-reference';
import { isUuid } from '../common/http/id-params';
import type { MoneyAnswer } from '../transactions/stored-response';

/** What the bank transfer POST answers, fresh, replayed or rendered for an abandoned request. */
export type BankTransferAnswer = MoneyAnswer<BankTransferResponseDto>;

/** How long the user has to confirm what the inquiry showed. */
export const BANK_INQUIRY_TTL_MS = 15 * 60_000;
/**
 * A transfer DOKU's history still does not know this long after we sent it never reached DOKU
 * (not found after a grace period, docs/doku-integration.md#uncertain-outcomes; DOKU asks to wait
 * about 60 s).
 * `RECONCILER_NOT_FOUND_GRACE_MS` overrides it.
 */
export const BANK_NOT_FOUND_GRACE_MS = 60_000;

const logger = new Logger('BankTransferService');

interface TransferIntent {
  transaction: Transaction;
  inquiry: BankTransferInquiry;
  accountNumber: string;
  phone: string;
  accountId: string;
}

/**
 * Withdrawal from the user's wallet to a bank account (docs/doku-integration.md#bank-transfer):
 * Transfer Bank Account Inquiry shows the beneficiary, the confirmation sends Transfer Bank Account
 * Payment for exactly that inquiry.
 *
 * Uncertain outcomes: DOKU has no status endpoint for transfers. We resolve an UNKNOWN or PENDING
 * transfer with Transaction History Detail by its partnerReferenceNo, a read that cannot move money.
 * "Not found" never fails it (docs/money-rules.md): past {@link BANK_NOT_FOUND_GRACE_MS} the
 * reconciler sends the same payment again, with the same partnerReferenceNo, so DOKU applies it at
 * most once; it settles only on DOKU's success or refusal.
 */
@Injectable()
export class BankTransferService implements OnModuleInit {
  constructor(
    private readonly inquiries: BankTransferRepository,
    private readonly transactions: TransactionsRepository,
    private readonly idempotency: IdempotencyService,
    private readonly walletAccess: WalletAccessService,
    private readonly customerCalls: CustomerDokuCalls,
    private readonly doku: DokuBankTransfers,
    private readonly history: DokuHistory,
    private readonly box: SecretBox,
    private readonly config: AppConfigService,
    @InjectDataSource() private readonly db: DataSource,
    private readonly limits: EmoneyLimits,
    @Optional() private readonly resolvers?: TransactionResolverRegistry,
  ) {}

  /** The reconciler drives abandoned transfers with the same read-only lookup as GET. */
  onModuleInit(): void {
    this.resolvers?.register(
      'BANK_TRANSFER',
      async (transaction) => {
        await this.resolve(transaction, { recover: true });
      },
      (transaction) => this.render(transaction),
    );
    // Failed by the back office: its inquiry may be confirmed again.
    this.resolvers?.registerSettlementHook('BANK_TRANSFER', async (tx, transaction) => {
      if (transaction.status === 'FAILED') await this.releaseInquiryOf(tx, transaction);
    });
  }

  /** The answer of the transfer POST for a settled transfer (completes the key of an abandoned request). */
  private render(transaction: Transaction): StoredResponse<BankTransferAnswer> {
    if (transaction.status === 'FAILED')
      return renderedRejection(transaction, 'DOKU.REJECTED', 'DOKU declined the transfer', { transactionId: transaction.id });
    return { status: transaction.status === 'SUCCESS' ? 201 : 202, body: BankTransferResponseDto.from(transaction) };
  }

  async inquire(userId: string, input: CreateBankTransferInquiryRequestDto): Promise<BankTransferInquiryResponseDto> {
    const { accountId, phone } = await this.walletAccess.requireBoundWallet(userId);
    const amount = amountWithinLimit(input.amount, this.config.doku.transactionMaxAmount);
    // Over the per-transaction limit: refused before DOKU is asked (docs/limits.md).
    this.limits.outgoing({ userId, channel: 'BANK_TRANSFER', caller: 'user', amount });
    const partnerReferenceNo = newPartnerReference('BIQ');
    let answer;
    try {
      answer = await this.doku.check({
        partnerReferenceNo,
        customerNumber: phone,
        amount,
        accountNumber: input.accountNumber,
        bankCode: input.bankCode,
        accountId,
      });
    } catch (error) {
      throw translateBankError(error);
    }
    const beneficiary = answer.body;
    if (!beneficiary.accountName) {
      throw new AppError('DOKU.BAD_REQUEST', 'DOKU did not name the account holder', { responseCode: answer.responseCode });
    }
    const inquiry = await this.inquiries.createInquiry({
      userId,
      bankCode: beneficiary.bankCode ?? input.bankCode,
      bankName: beneficiary.bankName ?? null,
      accountNumberSealed: this.box.seal(input.accountNumber, inquirySealContext(userId, partnerReferenceNo)),
      accountNumberMasked: maskTail(input.accountNumber),
      beneficiaryName: beneficiary.accountName.slice(0, 255),
      accountType: beneficiary.accountType ?? null,
      amount,
      partnerReferenceNo,
      dokuReferenceNo: beneficiary.referenceNo ?? null,
      sessionId: beneficiary.sessionId ?? null,
      expiresAt: new Date(Date.now() + BANK_INQUIRY_TTL_MS),
    });
    return BankTransferInquiryResponseDto.from(inquiry);
  }

  transfer(userId: string, ctx: IdempotencyContext, input: CreateBankTransferRequestDto): Promise<IdempotentResponse<BankTransferAnswer>> {
    return this.idempotency.run<TransferIntent, DokuOutcome<BankTransferResult>, BankTransferAnswer>(ctx, {
      prepare: (tx) => this.prepare(tx, userId, input.inquiryId),
      transactionId: (intent) => intent.transaction.id,
      execute: (intent) => this.execute(intent, intent.transaction.dokuExternalId ?? undefined),
      settle: (tx, intent, outcome) => this.settle(tx, intent, outcome),
    });
  }

  /** The transfer, brought up to date with DOKU first when it is still PENDING or UNKNOWN. */
  async get(userId: string, id: string): Promise<BankTransferResponseDto> {
    const found = isUuid(id) ? await this.transactions.findByIdForUser(id, userId) : null;
    if (!found || found.type !== 'BANK_TRANSFER') throw new AppError('BANK.TRANSFER_NOT_FOUND', 'No such bank transfer');
    const current = isUnresolved(found.status) ? await this.resolve(found) : found;
    return BankTransferResponseDto.from(current);
  }

  /**
   * Asks DOKU's history what became of the transfer (DOKU has no status endpoint for transfers).
   * Never throws: when DOKU cannot say, the transfer stays as it is and is asked again next time.
   * With `recover` (the reconciler's schedule, never a customer's poll), a transfer DOKU still
   * does not know after the grace period is sent again with its own partnerReferenceNo.
   */
  async resolve(transaction: Transaction, options: { recover?: boolean } = {}): Promise<Transaction> {
    const outcome = await captureDokuOutcome(() =>
      this.customerCalls.run(transaction.userId, (token) => this.history.detail(token, transaction.partnerReferenceNo)),
    );
    if (outcome.kind === 'ok') {
      const detail = outcome.result.body;
      if (detail.amount !== undefined && detail.amount !== transaction.amount) {
        logger.warn(`DOKU history amount differs for transfer ${transaction.id}; left unresolved`);
        return transaction;
      }
      const status = detail.status;
      const patch = {
        dokuReferenceNo: detail.ownReferenceNo ?? transaction.dokuReferenceNo,
        dokuResponseCode: outcome.result.responseCode,
      };
      if (status === 'SUCCESS') return this.move(transaction, 'SUCCESS', patch);
      if (status === 'FAILED' || status === 'CANCELED') return this.move(transaction, 'FAILED', { ...patch, failureCode: 'DOKU.REJECTED' });
      if (status === 'PENDING' && transaction.status === 'UNKNOWN') return this.move(transaction, 'PENDING', patch);
      return transaction;
    }
    if (outcome.kind === 'rejected' && outcome.error.code === 'DOKU.NOT_FOUND') {
      // "Not found" never fails a transfer (settlementAllowed): DOKU's history may lag behind a
      // transfer it executed, and showing an executed transfer as failed invites a second one.
      const grace = this.config.reconciliation.notFoundGraceMs ?? BANK_NOT_FOUND_GRACE_MS;
      if (options.recover !== true || Date.now() - transaction.createdAt.getTime() < grace) return transaction;
      return (await this.transactions.claimSendAgain(transaction.id, grace)) ? this.sendAgain(transaction) : transaction;
    }
    logger.warn(`Could not resolve bank transfer ${transaction.id}: ${outcome.error.message}`);
    return transaction;
  }

  /**
   * Sends the transfer again exactly as first sent (same partnerReferenceNo, beneficiary, amount):
   * DOKU deduplicates on the reference, so one it already has comes back as a duplicate and
   * settles nothing, and one it never received is executed now, once. Only DOKU's success settles
   * it here; any other answer, a decline included, leaves it unresolved for the schedule and then
   * the back office (a decline of a second send says nothing certain about the first).
   */
  private async sendAgain(transaction: Transaction): Promise<Transaction> {
    const inquiry = await this.inquiries.findInquiryOfTransaction(transaction.id);
    if (!inquiry) return transaction;
    let wallet;
    try {
      wallet = await this.walletAccess.requireBoundWallet(transaction.userId);
    } catch {
      return transaction;
    }
    const accountNumber = this.box.open(inquiry.accountNumberSealed, inquirySealContext(transaction.userId, inquiry.partnerReferenceNo));
    const outcome = await this.execute({ transaction, inquiry, accountNumber, phone: wallet.phone, accountId: wallet.accountId });
    if (outcome.kind !== 'ok') {
      logger.warn(
        `Bank transfer ${transaction.id} sent again: DOKU's answer settles nothing (${outcome.responseCode ?? (outcome.error as { code?: string }).code ?? outcome.error.name})`,
      );
      return transaction;
    }
    return this.db.transaction(async (tx) => {
      const result = await this.transactions.transition(tx, transaction.id, 'SUCCESS', 'doku-response-to-resend', 'doku-success', {
        dokuExternalId: outcome.result.externalId ?? null,
        dokuReferenceNo: outcome.result.body.referenceNo ?? transaction.dokuReferenceNo,
        dokuResponseCode: outcome.result.responseCode,
        details: {
          transactionDate: outcome.result.body.transactionDate ?? null,
          bankReference: outcome.result.body.bankReference ?? null,
        },
      });
      return result.transaction;
    });
  }

  private async move(
    transaction: Transaction,
    to: 'SUCCESS' | 'FAILED' | 'PENDING',
    patch: { dokuReferenceNo?: string | null; dokuResponseCode?: string | null; failureCode?: string },
  ): Promise<Transaction> {
    return this.db.transaction(async (tx) => {
      const result = await this.transactions.transition(tx, transaction.id, to, 'status-query', 'doku-reported', patch);
      if (result.changed && to === 'FAILED') await this.releaseInquiryOf(tx, result.transaction);
      return result.transaction;
    });
  }

  private async prepare(tx: EntityManager, userId: string, inquiryId: string): Promise<TransferIntent> {
    const inquiry = await this.inquiries.findInquiryForUpdate(tx, inquiryId, userId);
    if (!inquiry) throw new AppError('BANK.INQUIRY_NOT_FOUND', 'No such bank transfer inquiry');
    if (inquiry.transactionId) {
      throw new AppError('BANK.INQUIRY_USED', 'This inquiry was already confirmed', { transactionId: inquiry.transactionId });
    }
    if (inquiry.expiresAt.getTime() <= Date.now()) {
      throw new AppError('BANK.INQUIRY_EXPIRED', 'This inquiry has expired: make a new one');
    }
    const { accountId, phone } = await this.walletAccess.requireBoundWallet(userId, tx);
    const transaction = await this.transactions.createPending(tx, {
      userId,
      type: 'BANK_TRANSFER',
      amount: inquiry.amount,
      partnerReferenceNo: newPartnerReference('BTR'),
      dokuExternalId: await this.doku.newExternalId(),
      initiatorKind: 'user',
      initiatorId: userId,
      description: `Transfer to ${inquiry.bankCode} ${inquiry.accountNumberMasked}`,
      details: {
        inquiryId: inquiry.id,
        inquiryReferenceNo: inquiry.dokuReferenceNo,
        bankCode: inquiry.bankCode,
        bankName: inquiry.bankName,
        beneficiaryName: inquiry.beneficiaryName,
        accountNumberMasked: inquiry.accountNumberMasked,
      },
    });
    // The e-money limits' counters, in this commit (docs/limits.md): a refusal rolls it back.
    const limits = this.limits.outgoing({ userId, channel: 'BANK_TRANSFER', caller: 'user', amount: inquiry.amount });
    await this.limits.reserveInTransaction(tx, limits, transaction.id);
    await this.inquiries.attachTransaction(tx, inquiry.id, transaction.id);
    const accountNumber = this.box.open(inquiry.accountNumberSealed, inquirySealContext(userId, inquiry.partnerReferenceNo));
    return { transaction, inquiry, accountNumber, phone, accountId };
  }

  /**
   * `firstExternalId`: the id stored in commit 1, for the first HTTP attempt only; a renewed
   * customer token or a later send takes a new one.
   */
  private execute(intent: TransferIntent, firstExternalId?: string): Promise<DokuOutcome<BankTransferResult>> {
    const { transaction, inquiry } = intent;
    let externalId = firstExternalId;
    const once = () => {
      const options = { externalId };
      externalId = undefined;
      return options;
    };
    return captureDokuOutcome(() =>
      this.customerCalls.run(transaction.userId, (token) =>
        this.doku.pay(
          token,
          {
            partnerReferenceNo: transaction.partnerReferenceNo,
            customerNumber: intent.phone,
            accountType: inquiry.accountType,
            accountNumber: intent.accountNumber,
            bankCode: inquiry.bankCode,
            amount: transaction.amount,
            inquiryReferenceNo: inquiry.dokuReferenceNo,
            accountId: intent.accountId,
            sessionId: inquiry.sessionId,
          },
          once(),
        ),
      ),
    );
  }

  private async settle(
    tx: EntityManager,
    intent: TransferIntent,
    outcome: DokuOutcome<BankTransferResult>,
  ): Promise<StoredResponse<BankTransferAnswer> & { transactionId: string }> {
    const id = intent.transaction.id;
    const { transaction, declined } = await applyImmediateOutcome(this.transactions, tx, id, outcome, {
      onSuccess: ({ body }) => ({
        dokuReferenceNo: body.referenceNo ?? null,
        details: { transactionDate: body.transactionDate ?? null, bankReference: body.bankReference ?? null },
      }),
      translate: translateBankError,
    });
    if (declined) {
      await this.releaseInquiryOf(tx, transaction);
      return {
        ...rejectionResponse(declined.code, declined.message, {
          transactionId: id,
          ...(transaction.dokuResponseCode ? { responseCode: transaction.dokuResponseCode } : {}),
        }),
        transactionId: id,
      };
    }
    // Lost answers (timeout, 5xx) and 202s answer 202: DOKU may have it; GET settles it, never a resend.
    return { status: transaction.status === 'SUCCESS' ? 201 : 202, body: BankTransferResponseDto.from(transaction), transactionId: id };
  }

  private async releaseInquiryOf(tx: EntityManager, transaction: Transaction): Promise<void> {
    const inquiryId = (transaction.details as { inquiryId?: string }).inquiryId;
    if (inquiryId) await this.inquiries.releaseInquiry(tx, inquiryId, transaction.id);
  }
}

/** What an inquiry's sealed account number is bound to: its user and its reference. */
export function inquirySealContext(userId: string, partnerReferenceNo: string): string {
  return `bank_transfer_inquiries|${userId}|${partnerReferenceNo}`;
}

/** DOKU's "invalid account" on a transfer means the beneficiary bank account. */
function translateBankError(error: AppError): AppError;
function translateBankError(error: unknown): unknown;
function translateBankError(error: unknown): unknown {
  if (error instanceof DokuResponseError && error.code === 'DOKU.INVALID_ACCOUNT') {
    return new AppError('BANK.UNKNOWN_ACCOUNT', 'The bank or account number is not known', { responseCode: error.responseCode });
  }
  return error;
}
