import { Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { WalletAccessService } from '../accounts/wallet-access.service';
import { CustomerDokuCalls } from '../accounts/customer-doku-calls.service';
import { SecretBox } from '../common/crypto/secret-box';
import { AppError } from '../common/errors/app-error';
import { IdempotencyContext, IdempotencyService, IdempotentResponse, StoredResponse } from '../common/idempotency/idempotency.service';
import { amountWithinLimit } from '../common/money/amount-limit';
import { AppConfigService } from '../config/app-config.service';
import { toSnapMoney, tryFromSnapMoney } from '../integrations/doku/doku-mapper';
import { maskTail } from '../integrations/doku/doku-redaction';
import { mapWordStatus } from '../integrations/doku/doku-response-codes';
import { TransferBankPaymentResponse } from '../integrations/doku/doku-wire.types';
import { DokuClient } from '../integrations/doku/doku.client';
import { DokuResponseError } from '../integrations/doku/doku.errors';
import { rejectionResponse } from '../transactions/stored-response';
import { applyImmediateOutcome, captureDokuOutcome, DokuOutcome } from '../transactions/doku-outcome';
import { Transaction } from '../transactions/entities/transaction.entity';
import { isUnresolved } from '../transactions/transaction-state';
import { TransactionsRepository } from '../transactions/transactions.repository';
import { renderedRejection } from '../reconciliation/rendered-response';
import { TransactionResolverRegistry } from '../reconciliation/transaction-resolver.registry';
import { BankTransferRepository } from './bank-transfer.repository';
import { BankTransferInquiryResponseDto } from './dto/bank-transfer-inquiry.response.dto';
import { BankTransferResponseDto } from './dto/bank-transfer.response.dto';
import { CreateBankTransferInquiryRequestDto } from './dto/create-bank-transfer-inquiry.request.dto';
import { CreateBankTransferRequestDto } from './dto/create-bank-transfer.request.dto';
import { BankTransferInquiry } from './entities/bank-transfer-inquiry.entity';
import { newPartnerReference } from '../transactions/partner-reference';

/** How long the user has to confirm what the inquiry showed. */
export const BANK_INQUIRY_TTL_MS = 15 * 60_000;
/**
 * A transfer DOKU's history still does not know this long after we sent it never reached DOKU
 * (§5.6: "not found ... after a reasonable grace period"; DOKU asks to wait about 60 s).
 * `RECONCILER_NOT_FOUND_GRACE_MS` overrides it.
 */
export const BANK_NOT_FOUND_GRACE_MS = 60_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const logger = new Logger('BankTransferService');

interface TransferIntent {
  transaction: Transaction;
  inquiry: BankTransferInquiry;
  accountNumber: string;
  phone: string;
  accountId: string;
}

/**
 * Withdrawal from the user's wallet to a bank account (wallet-snap-api.md §3.2 D): Transfer Bank
 * Account Inquiry (§3.10) shows the beneficiary, the confirmation sends Transfer Bank Account
 * Payment (§3.11) for exactly that inquiry.
 *
 * Uncertain outcomes: DOKU has no status endpoint for transfers. We resolve an UNKNOWN or PENDING
 * transfer with Transaction History Detail (§3.21) by its partnerReferenceNo, a read that cannot
 * move money; we never re-send the payment, so a second debit is impossible by construction.
 * "Not found" becomes FAILED only after {@link BANK_NOT_FOUND_GRACE_MS}.
 */
@Injectable()
export class BankTransferService implements OnModuleInit {
  constructor(
    private readonly inquiries: BankTransferRepository,
    private readonly transactions: TransactionsRepository,
    private readonly idempotency: IdempotencyService,
    private readonly walletAccess: WalletAccessService,
    private readonly customerCalls: CustomerDokuCalls,
    private readonly doku: DokuClient,
    private readonly box: SecretBox,
    private readonly config: AppConfigService,
    @InjectDataSource() private readonly db: DataSource,
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
  private render(transaction: Transaction): StoredResponse {
    if (transaction.status === 'FAILED') return renderedRejection(transaction, 'DOKU.REJECTED', 'DOKU declined the transfer', { transactionId: transaction.id });
    return { status: transaction.status === 'SUCCESS' ? 201 : 202, body: BankTransferResponseDto.from(transaction) };
  }

  async inquire(userId: string, input: CreateBankTransferInquiryRequestDto): Promise<BankTransferInquiryResponseDto> {
    const { accountId, phone } = await this.walletAccess.requireBoundWallet(userId);
    const amount = amountWithinLimit(input.amount, this.config.doku.transactionMaxAmount);
    const partnerReferenceNo = newPartnerReference('BIQ');
    let answer;
    try {
      answer = await this.doku.transferBankInquiry({
        partnerReferenceNo,
        customerNumber: phone,
        amount: toSnapMoney(amount),
        beneficiaryAccountNumber: input.accountNumber,
        additionalInfo: { bankCode: input.bankCode, accountId },
      });
    } catch (error) {
      throw translateBankError(error);
    }
    const body = answer.body;
    if (!body.beneficiaryAccountName) {
      throw new AppError('DOKU.BAD_REQUEST', 'DOKU did not name the account holder', { responseCode: answer.responseCode });
    }
    const inquiry = await this.inquiries.createInquiry({
      userId,
      bankCode: body.beneficiaryBankCode ?? input.bankCode,
      bankName: body.beneficiaryBankName ?? null,
      accountNumberSealed: this.box.seal(input.accountNumber, sealContext(userId, partnerReferenceNo)),
      accountNumberMasked: maskTail(input.accountNumber),
      beneficiaryName: body.beneficiaryAccountName.slice(0, 255),
      accountType: body.accountType ?? null,
      amount,
      partnerReferenceNo,
      dokuReferenceNo: body.referenceNo ?? null,
      sessionId: body.sessionId ?? null,
      expiresAt: new Date(Date.now() + BANK_INQUIRY_TTL_MS),
    });
    return BankTransferInquiryResponseDto.from(inquiry);
  }

  transfer(userId: string, ctx: IdempotencyContext, input: CreateBankTransferRequestDto): Promise<IdempotentResponse> {
    return this.idempotency.run<TransferIntent, DokuOutcome<TransferBankPaymentResponse>>(ctx, {
      prepare: (tx) => this.prepare(tx, userId, input.inquiryId),
      transactionId: (intent) => intent.transaction.id,
      execute: (intent) => this.execute(intent, intent.transaction.dokuExternalId ?? undefined),
      settle: (tx, intent, outcome) => this.settle(tx, intent, outcome),
    });
  }

  /** The transfer, brought up to date with DOKU first when it is still PENDING or UNKNOWN. */
  async get(userId: string, id: string): Promise<BankTransferResponseDto> {
    const found = UUID.test(id) ? await this.transactions.findByIdForUser(id, userId) : null;
    if (!found || found.type !== 'BANK_TRANSFER') throw new AppError('BANK.TRANSFER_NOT_FOUND', 'No such bank transfer');
    const current = isUnresolved(found.status) ? await this.resolve(found) : found;
    return BankTransferResponseDto.from(current);
  }

  /**
   * Asks DOKU's history what became of the transfer (§3.11 "look it up in Transaction History").
   * Never throws: when DOKU cannot say, the transfer stays as it is and is asked again next time.
   * With `recover` (the reconciler's schedule, never a customer's poll), a transfer DOKU still
   * does not know after the grace period is sent again with its own partnerReferenceNo.
   */
  async resolve(transaction: Transaction, options: { recover?: boolean } = {}): Promise<Transaction> {
    const outcome = await captureDokuOutcome(() =>
      this.customerCalls.run(transaction.userId, (token) =>
        this.doku.transactionHistoryDetail(token, { originalPartnerReferenceNo: transaction.partnerReferenceNo }),
      ),
    );
    if (outcome.kind === 'ok') {
      const body = outcome.result.body;
      const reported = tryFromSnapMoney(body.amount);
      if (reported !== undefined && reported !== transaction.amount) {
        logger.warn(`DOKU history amount differs for transfer ${transaction.id}; left unresolved`);
        return transaction;
      }
      const status = mapWordStatus(body.status);
      const patch = { dokuReferenceNo: body.referenceNo ?? transaction.dokuReferenceNo, dokuResponseCode: outcome.result.responseCode };
      if (status === 'SUCCESS') return this.move(transaction, 'SUCCESS', patch);
      if (status === 'FAILED' || status === 'CANCELED') return this.move(transaction, 'FAILED', { ...patch, failureCode: 'DOKU.REJECTED' });
      if (status === 'PENDING' && transaction.status === 'UNKNOWN') return this.move(transaction, 'PENDING', patch);
      return transaction;
    }
    if (outcome.kind === 'rejected' && outcome.error.code === 'DOKU.NOT_FOUND') {
      // "Not found" never fails a transfer (settlementAllowed): DOKU's history may lag behind a
      // transfer it executed, and showing an executed transfer as failed invites a second one.
      const grace = this.config.reconciliation.notFoundGraceMs ?? BANK_NOT_FOUND_GRACE_MS;
      if (!options.recover || Date.now() - transaction.createdAt.getTime() < grace) return transaction;
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
    const accountNumber = this.box.open(inquiry.accountNumberSealed, sealContext(transaction.userId, inquiry.partnerReferenceNo));
    const outcome = await this.execute({ transaction, inquiry, accountNumber, phone: wallet.phone, accountId: wallet.accountId });
    if (outcome.kind !== 'ok') {
      logger.warn(`Bank transfer ${transaction.id} sent again: DOKU's answer settles nothing (${outcome.responseCode ?? (outcome.error as { code?: string }).code ?? outcome.error.name})`);
      return transaction;
    }
    return this.db.transaction(async (tx) => {
      const result = await this.transactions.transition(tx, transaction.id, 'SUCCESS', 'Transfer Bank Account Payment sent again: succeeded', 'doku-success', {
        dokuExternalId: outcome.result.externalId ?? null,
        dokuReferenceNo: outcome.result.body.referenceNo ?? transaction.dokuReferenceNo,
        dokuResponseCode: outcome.result.responseCode,
        details: { transactionDate: outcome.result.body.transactionDate ?? null, bankReference: outcome.result.body.referenceNumber ?? null },
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
    await this.inquiries.attachTransaction(tx, inquiry.id, transaction.id);
    const accountNumber = this.box.open(inquiry.accountNumberSealed, sealContext(userId, inquiry.partnerReferenceNo));
    return { transaction, inquiry, accountNumber, phone, accountId };
  }

  /**
   * `firstExternalId`: the id stored in commit 1, for the first HTTP attempt only; a renewed
   * customer token or a later send takes a new one.
   */
  private execute(intent: TransferIntent, firstExternalId?: string): Promise<DokuOutcome<TransferBankPaymentResponse>> {
    const { transaction, inquiry } = intent;
    let externalId = firstExternalId;
    const once = () => {
      const options = { externalId };
      externalId = undefined;
      return options;
    };
    return captureDokuOutcome(() =>
      this.customerCalls.run(transaction.userId, (token) =>
        this.doku.transferBankPayment(token, {
          partnerReferenceNo: transaction.partnerReferenceNo,
          customerNumber: intent.phone,
          accountType: inquiry.accountType ?? '',
          beneficiaryAccountNumber: intent.accountNumber,
          beneficiaryBankCode: inquiry.bankCode,
          amount: toSnapMoney(transaction.amount),
          additionalInfo: { ...(inquiry.dokuReferenceNo ? { referenceNo: inquiry.dokuReferenceNo } : {}), accountId: intent.accountId },
          ...(inquiry.sessionId ? { sessionId: inquiry.sessionId.slice(0, 25) } : {}),
        }, once()),
      ),
    );
  }

  private async settle(
    tx: EntityManager,
    intent: TransferIntent,
    outcome: DokuOutcome<TransferBankPaymentResponse>,
  ): Promise<{ status: number; body: unknown; transactionId: string }> {
    const id = intent.transaction.id;
    const { transaction, declined } = await applyImmediateOutcome(this.transactions, tx, id, outcome, {
      onSuccess: ({ body }) => ({
        dokuReferenceNo: body.referenceNo ?? null,
        details: { transactionDate: body.transactionDate ?? null, bankReference: body.referenceNumber ?? null },
      }),
      translate: translateBankError,
    });
    if (declined) {
      await this.releaseInquiryOf(tx, transaction);
      return {
        ...rejectionResponse(declined.code, declined.message, { transactionId: id, ...(transaction.dokuResponseCode ? { responseCode: transaction.dokuResponseCode } : {}) }),
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


function sealContext(userId: string, partnerReferenceNo: string): string {
  return `bank_transfer_inquiries|${userId}|${partnerReferenceNo}`;
}

/** DOKU's "invalid account" on a transfer means the beneficiary bank account (§3.10, §3.11). */
function translateBankError(error: AppError): AppError;
function translateBankError(error: unknown): unknown;
function translateBankError(error: unknown): unknown {
  if (error instanceof DokuResponseError && error.code === 'DOKU.INVALID_ACCOUNT') {
    return new AppError('BANK.UNKNOWN_ACCOUNT', 'The bank or account number is not known', { responseCode: error.responseCode });
  }
  return error;
}


