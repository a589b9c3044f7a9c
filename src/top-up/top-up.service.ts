import { Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { WalletAccessService } from '../accounts/wallet-access.service';
import { Principal } from '../common/auth/principal';
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
import type { DokuTransactionStatus } from '../integrations/doku/snap/doku-response-codes';
import { DokuResponseError } from '../integrations/doku/snap/doku.errors';
import { DokuTopUps } from '../integrations/doku/wallet/top-up.facade';
import type { TopUpResult } from '../integrations/doku/wallet/top-up.mapper';
import { renderedRejection } from '../transactions/rendered-response';
import { TransactionResolverRegistry } from '../transactions/transaction-resolver.registry';
import { rejectionResponse } from '../transactions/stored-response';
import { applyImmediateOutcome, captureDokuOutcome, DokuOutcome } from '../transactions/doku-outcome';
import { InitiatorKind, Transaction } from '../transactions/entities/transaction.entity';
import { isUnresolved } from '../transactions/transaction-state';
import { TransactionsRepository } from '../transactions/transactions.repository';
import { CreateTopUpInquiryRequestDto } from './dto/create-top-up-inquiry.request.dto';
import { CreateTopUpRequestDto } from './dto/create-top-up.request.dto';
import { TopUpInquiryResponseDto } from './dto/top-up-inquiry.response.dto';
import { TopUpResponseDto } from './dto/top-up.response.dto';
import { TopUpInquiry } from './entities/top-up-inquiry.entity';
import { TopUpRepository } from './top-up.repository';
import { EmoneyLimits } from '../limits/emoney-limits.service';
import type { WalletStanding } from '../limits/emoney-limits.service';
import { newPartnerReference } from '../transactions/partner-reference';
import { isUuid } from '../common/http/id-params';
import type { MoneyAnswer } from '../transactions/stored-response';

/** What the top-up POST answers, fresh, replayed or rendered for an abandoned request. */
export type TopUpAnswer = MoneyAnswer<TopUpResponseDto>;

export const TOP_UP_INQUIRY_TTL_MS = 15 * 60_000;
/**
 * "Not found" counts only after a grace period (docs/doku-integration.md#uncertain-outcomes);
 * `RECONCILER_NOT_FOUND_GRACE_MS` overrides it.
 */
export const TOP_UP_NOT_FOUND_GRACE_MS = 60_000;

const logger = new Logger('TopUpService');

interface Initiator {
  kind: InitiatorKind;
  id: string;
}

interface TopUpIntent {
  transaction: Transaction;
  inquiry: TopUpInquiry;
  phone: string;
  accountId: string;
}

/**
 * Top-up of a user's wallet from the partner's corporate balance (docs/doku-integration.md#top-up):
 * Account Inquiry Top Up → Account Top Up → Query Top Up when the outcome is uncertain. Only internal
 * services (`topups:write`) and admin/finance reach it: it moves the partner's money, so a mobile user
 * can never top up a wallet, and a back-office member never their own.
 */
@Injectable()
export class TopUpService implements OnModuleInit {
  constructor(
    private readonly inquiries: TopUpRepository,
    private readonly transactions: TransactionsRepository,
    private readonly idempotency: IdempotencyService,
    private readonly walletAccess: WalletAccessService,
    private readonly doku: DokuTopUps,
    private readonly config: AppConfigService,
    @InjectDataSource() private readonly db: DataSource,
    private readonly limits: EmoneyLimits,
    @Optional() private readonly resolvers?: TransactionResolverRegistry,
  ) {}

  onModuleInit(): void {
    this.resolvers?.register(
      'TOP_UP',
      async (transaction) => {
        await this.resolve(transaction, { recover: true });
      },
      (transaction) => this.render(transaction),
    );
    // Failed by the back office: its inquiry may be confirmed again.
    this.resolvers?.registerSettlementHook('TOP_UP', async (tx, transaction) => {
      if (transaction.status === 'FAILED') await this.releaseInquiryOf(tx, transaction);
    });
  }

  /** The answer of the top-up POST for a settled top-up (completes the key of an abandoned request). */
  private render(transaction: Transaction): StoredResponse<TopUpAnswer> {
    if (transaction.status === 'FAILED')
      return renderedRejection(transaction, 'DOKU.REJECTED', 'DOKU declined the top-up', { transactionId: transaction.id });
    return { status: transaction.status === 'SUCCESS' ? 201 : 202, body: TopUpResponseDto.from(transaction) };
  }

  async inquire(principal: Principal, userId: string, input: CreateTopUpInquiryRequestDto): Promise<TopUpInquiryResponseDto> {
    const initiator = initiatorOf(principal, userId);
    const { accountId, phone } = await this.walletAccess.requireBoundWallet(userId);
    const amount = amountWithinLimit(input.amount, this.config.doku.transactionMaxAmount);
    // Over the per-transaction limit: refused before DOKU is asked (docs/limits.md).
    this.limits.outgoing({ userId, channel: 'TOP_UP', caller: initiator.kind, amount });
    const partnerReferenceNo = newPartnerReference('TUI');
    let answer;
    try {
      answer = await this.doku.check({ partnerReferenceNo, customerNumber: phone, amount, accountId });
    } catch (error) {
      throw translateTopUpError(error);
    }
    const quote = answer.body;
    const inquiry = await this.inquiries.createInquiry({
      userId,
      initiatorKind: initiator.kind,
      initiatorId: initiator.id,
      amount,
      feeAmount: quote.feeAmount ?? null,
      customerName: (quote.customerName ?? '').slice(0, 255),
      customerNumberMasked: maskTail(phone),
      partnerReferenceNo,
      dokuReferenceNo: quote.referenceNo ?? null,
      sessionId: quote.sessionId ?? null,
      expiresAt: new Date(Date.now() + TOP_UP_INQUIRY_TTL_MS),
    });
    return TopUpInquiryResponseDto.from(inquiry);
  }

  async topUp(
    principal: Principal,
    userId: string,
    ctx: IdempotencyContext,
    input: CreateTopUpRequestDto,
  ): Promise<IdempotentResponse<TopUpAnswer>> {
    const initiator = initiatorOf(principal, userId);
    // The balance limit needs the wallet's balance at DOKU, read before commit 1 and only for an
    // inquiry that can still be confirmed (a replay or a refusal asks DOKU nothing).
    const open = await this.inquiries.findOpenInquiry(input.inquiryId, userId, initiator.id);
    const standing = open ? await this.limits.standing(userId) : undefined;
    return this.idempotency.run<TopUpIntent, DokuOutcome<TopUpResult>, TopUpAnswer>(ctx, {
      prepare: (tx) => this.prepare(tx, initiator, userId, input, standing),
      transactionId: (intent) => intent.transaction.id,
      execute: (intent) => this.execute(intent, intent.transaction.dokuExternalId ?? undefined),
      settle: (tx, intent, outcome) => this.settle(tx, intent, outcome),
    });
  }

  async get(userId: string, id: string): Promise<TopUpResponseDto> {
    const found = isUuid(id) ? await this.transactions.findByIdForUser(id, userId) : null;
    if (!found || found.type !== 'TOP_UP') throw new AppError('TOPUP.NOT_FOUND', 'No such top-up');
    const current = isUnresolved(found.status) ? await this.resolve(found) : found;
    return TopUpResponseDto.from(current);
  }

  /**
   * Query Top Up and apply its answer. Never throws; an unclear answer leaves it unresolved. With
   * `recover` (the reconciler's schedule, never a caller's poll), a top-up DOKU still does not know
   * after the grace period is sent again with its own partnerReferenceNo.
   * `DokuTopUps.status` asks again without our stored X-EXTERNAL-ID before "not found" counts (it
   * may not be the one DOKU applied: a later send took a new one).
   */
  async resolve(transaction: Transaction, options: { recover?: boolean } = {}): Promise<Transaction> {
    const outcome = await captureDokuOutcome(() =>
      this.doku.status({
        partnerReferenceNo: transaction.partnerReferenceNo,
        referenceNo: transaction.dokuReferenceNo,
        externalId: transaction.dokuExternalId,
      }),
    );
    let status: DokuTransactionStatus;
    if (outcome.kind === 'ok') status = outcome.result.body.status;
    else if (outcome.kind === 'rejected' && outcome.error.code === 'DOKU.NOT_FOUND') status = 'NOT_FOUND';
    else {
      logger.warn(`Could not resolve top-up ${transaction.id}: ${outcome.error.message}`);
      return transaction;
    }
    const body = outcome.kind === 'ok' ? outcome.result.body : undefined;
    const reported = body?.amount;
    if (reported !== undefined && reported !== transaction.amount) {
      logger.warn(`Query Top Up amount differs for top-up ${transaction.id}; left unresolved`);
      return transaction;
    }
    const patch = {
      dokuReferenceNo: body?.referenceNo || transaction.dokuReferenceNo,
      dokuResponseCode: outcome.kind === 'ok' ? outcome.result.responseCode : (outcome.responseCode ?? null),
    };
    if (status === 'SUCCESS') return this.move(transaction, 'SUCCESS', patch);
    if (status === 'FAILED' || status === 'CANCELED') return this.move(transaction, 'FAILED', { ...patch, failureCode: 'DOKU.REJECTED' });
    if (status === 'NOT_FOUND') {
      // "Not found" never fails a top-up (settlementAllowed): DOKU's status may lag behind a
      // top-up it executed. Past the grace period, the same top-up is sent again instead.
      const grace = this.config.reconciliation.notFoundGraceMs ?? TOP_UP_NOT_FOUND_GRACE_MS;
      if (options.recover !== true || Date.now() - transaction.createdAt.getTime() < grace) return transaction;
      return (await this.transactions.claimSendAgain(transaction.id, grace)) ? this.sendAgain(transaction) : transaction;
    }
    if (status === 'PENDING' && transaction.status === 'UNKNOWN') return this.move(transaction, 'PENDING', patch);
    return transaction;
  }

  /**
   * Sends the top-up again exactly as first sent (same partnerReferenceNo, amount, session):
   * DOKU deduplicates on the reference, so one it already has comes back as a duplicate and
   * settles nothing, and one it never received is applied now, once. Only DOKU's success settles
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
    const outcome = await this.execute({ transaction, inquiry, phone: wallet.phone, accountId: wallet.accountId });
    if (outcome.kind !== 'ok') {
      logger.warn(
        `Top-up ${transaction.id} sent again: DOKU's answer settles nothing (${outcome.responseCode ?? (outcome.error as { code?: string }).code ?? outcome.error.name})`,
      );
      return transaction;
    }
    return this.db.transaction(async (tx) => {
      const result = await this.transactions.transition(tx, transaction.id, 'SUCCESS', 'doku-response-to-resend', 'doku-success', {
        dokuExternalId: outcome.result.externalId ?? null,
        dokuReferenceNo: outcome.result.body.referenceNo ?? transaction.dokuReferenceNo,
        dokuResponseCode: outcome.result.responseCode,
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

  private async prepare(
    tx: EntityManager,
    initiator: Initiator,
    userId: string,
    input: CreateTopUpRequestDto,
    standing: WalletStanding | undefined,
  ): Promise<TopUpIntent> {
    const inquiry = await this.inquiries.findInquiryForUpdate(tx, input.inquiryId, userId, initiator.id);
    if (!inquiry) throw new AppError('TOPUP.INQUIRY_NOT_FOUND', 'No such top-up inquiry');
    if (inquiry.transactionId) {
      throw new AppError('TOPUP.INQUIRY_USED', 'This inquiry was already confirmed', { transactionId: inquiry.transactionId });
    }
    if (inquiry.expiresAt.getTime() <= Date.now()) throw new AppError('TOPUP.INQUIRY_EXPIRED', 'This inquiry has expired: make a new one');
    const { accountId, phone } = await this.walletAccess.requireBoundWallet(userId, tx);
    const transaction = await this.transactions.createPending(tx, {
      userId,
      type: 'TOP_UP',
      amount: inquiry.amount,
      partnerReferenceNo: newPartnerReference('TOP'),
      dokuExternalId: await this.doku.newExternalId(),
      initiatorKind: initiator.kind,
      initiatorId: initiator.id,
      merchantOrderRef: input.merchantOrderRef ?? null,
      description: 'Top-up from the partner balance',
      details: { inquiryId: inquiry.id, inquiryReferenceNo: inquiry.dokuReferenceNo, sessionId: inquiry.sessionId },
    });
    // The e-money limits' counters, in this commit (docs/limits.md): a refusal rolls it back.
    if (this.limits.enabled && !standing) throw new AppError('DOKU.UNAVAILABLE', 'The wallet balance could not be read; try again');
    const limits = standing
      ? this.limits.incoming({ userId, channel: 'TOP_UP', caller: initiator.kind, amount: inquiry.amount }, standing)
      : undefined;
    await this.limits.reserveInTransaction(tx, limits, transaction.id);
    await this.inquiries.attachTransaction(tx, inquiry.id, transaction.id);
    return { transaction, inquiry, phone, accountId };
  }

  /** `firstExternalId`: the id stored in commit 1, for the first send only; a later send takes a new one. */
  private execute(intent: TopUpIntent, firstExternalId?: string): Promise<DokuOutcome<TopUpResult>> {
    const { transaction, inquiry } = intent;
    return captureDokuOutcome(() =>
      this.doku.topUp(
        {
          partnerReferenceNo: transaction.partnerReferenceNo,
          customerNumber: intent.phone,
          amount: transaction.amount,
          feeAmount: inquiry.feeAmount,
          sessionId: inquiry.sessionId,
          accountId: intent.accountId,
        },
        { externalId: firstExternalId },
      ),
    );
  }

  private async settle(
    tx: EntityManager,
    intent: TopUpIntent,
    outcome: DokuOutcome<TopUpResult>,
  ): Promise<StoredResponse<TopUpAnswer> & { transactionId: string }> {
    const id = intent.transaction.id;
    const { transaction, declined } = await applyImmediateOutcome(this.transactions, tx, id, outcome, {
      onSuccess: ({ body }) => ({ dokuReferenceNo: body.referenceNo ?? null }),
      translate: translateTopUpError,
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
    return { status: transaction.status === 'SUCCESS' ? 201 : 202, body: TopUpResponseDto.from(transaction), transactionId: id };
  }

  private async releaseInquiryOf(tx: EntityManager, transaction: Transaction): Promise<void> {
    const inquiryId = (transaction.details as { inquiryId?: string }).inquiryId;
    if (inquiryId) await this.inquiries.releaseInquiry(tx, inquiryId, transaction.id);
  }
}

/** Who asks; a back-office member may not top up their own wallet (it is the partner's money). */
function initiatorOf(principal: Principal, userId: string): Initiator {
  if (principal.kind === 'service') return { kind: 'service', id: principal.clientId };
  if (principal.role === 'user' || principal.userId === userId) {
    throw new AppError('TOPUP.SELF_TOP_UP_FORBIDDEN', 'Top-ups move the partner balance: nobody may top up their own wallet');
  }
  return { kind: 'user', id: principal.userId };
}

/**
 * Top-up's meaning of DOKU's shared codes: `403xx14` is the partner's corporate balance, not the
 * user's; `403xx02` is the user's wallet limit.
 */
function translateTopUpError(error: AppError): AppError;
function translateTopUpError(error: unknown): unknown;
function translateTopUpError(error: unknown): unknown {
  if (!(error instanceof DokuResponseError)) return error;
  const details = { responseCode: error.responseCode };
  if (error.code === 'DOKU.INSUFFICIENT_BALANCE') {
    return new AppError('TOPUP.PARTNER_BALANCE_INSUFFICIENT', "The partner's corporate balance cannot fund this top-up", details);
  }
  if (error.code === 'DOKU.LIMIT_EXCEEDED') {
    return new AppError('TOPUP.LIMIT_EXCEEDED', "The amount is over the wallet's limit", details);
  }
  return error;
}
