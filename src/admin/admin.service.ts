import { Injectable } from '@nestjs/common';
import type { AuditActor } from '../audit/audit-chain';
import { AuditTrail } from '../audit/audit-trail.service';
import { AppError } from '../common/errors/app-error';
import { LoginLockoutService } from '../auth/login-lockout.service';
import { TransactionsRepository } from '../transactions/transactions.repository';
import { AdminRepository } from './admin.repository';
import { AdminTransactionPageResponseDto } from './dto/admin-transaction-page.response.dto';
import { AdminTransactionResponseDto } from './dto/admin-transaction.response.dto';
import { AdminUserPageResponseDto } from './dto/admin-user-page.response.dto';
import { AdminUserResponseDto } from './dto/admin-user.response.dto';
import { BackOfficeStatsQueryDto, BackOfficeStatsResponseDto } from './dto/back-office-stats.dto';
import { DokuExchangePageResponseDto } from './dto/doku-exchange-page.response.dto';
import { DokuExchangeResponseDto } from './dto/doku-exchange.response.dto';
import { ListAdminTransactionsQueryDto } from './dto/list-admin-transactions.query.dto';
import { ListDokuExchangesQueryDto } from './dto/list-doku-exchanges.query.dto';
import { SearchUsersQueryDto } from './dto/search-users.query.dto';

/** Back-office reads: people, their wallets, money movements with their event log, DOKU exchanges. */
@Injectable()
export class AdminService {
  constructor(
    private readonly admin: AdminRepository,
    private readonly transactions: TransactionsRepository,
    private readonly lockout: LoginLockoutService,
    private readonly audit: AuditTrail,
  ) {}

  async searchUsers(q: SearchUsersQueryDto): Promise<AdminUserPageResponseDto> {
    const paging = { page: q.page ?? 1, pageSize: q.pageSize ?? 20 };
    const { users, total } = await this.admin.searchUsers(q.query, paging, { role: q.role, staff: q.staff });
    const [wallets, locks] = await Promise.all([
      this.admin.findWallets(users.map((u) => u.id)),
      this.lockout.lockedUntil(users.map((u) => u.email)),
    ]);
    return {
      items: users.map((u) =>
        AdminUserResponseDto.from(u, wallets.get(u.id) ?? null, locks.get(LoginLockoutService.keyFor(u.email)) ?? null),
      ),
      ...paging,
      total,
    };
  }

  async getUser(userId: string): Promise<AdminUserResponseDto> {
    const user = await this.admin.findUser(userId);
    if (!user) throw new AppError('USER.NOT_FOUND', 'No such user');
    const [wallets, locks] = await Promise.all([this.admin.findWallets([user.id]), this.lockout.lockedUntil([user.email])]);
    return AdminUserResponseDto.from(user, wallets.get(user.id) ?? null, locks.get(LoginLockoutService.keyFor(user.email)) ?? null);
  }

  /** Releases the user's sign-in lock; 404 for no such user. */
  async releaseSignInLock(userId: string, actor: AuditActor): Promise<{ released: boolean }> {
    const user = await this.admin.findUser(userId);
    if (!user) throw new AppError('USER.NOT_FOUND', 'No such user');
    const released = await this.lockout.release(user.id, user.email, actor.id ?? 'unknown');
    await this.audit.record({ actor, action: 'user.sign-in-lock-released', target: { type: 'user', id: user.id }, after: { released } });
    return { released };
  }

  async listTransactions(q: ListAdminTransactionsQueryDto): Promise<AdminTransactionPageResponseDto> {
    const paging = { page: q.page ?? 1, pageSize: q.pageSize ?? 20 };
    const { transactions, total } = await this.admin.listTransactions(
      {
        status: q.status,
        type: q.type,
        userId: q.userId,
        attention: q.attention,
        dokuDisagrees: q.dokuDisagrees,
        paymentMethod: q.paymentMethod,
        minAmount: q.minAmount,
        maxAmount: q.maxAmount,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
      },
      paging,
    );
    return { items: transactions.map((t) => AdminTransactionResponseDto.from(t)), ...paging, total };
  }

  /** Finance marks a disagreement with DOKU handled, with what was done (docs/operations.md#a-purchase-doku-disagrees-with). */
  async handleDisagreement(id: string, note: string, staffId: string, actor: AuditActor): Promise<AdminTransactionResponseDto> {
    if (!(await this.admin.handleDisagreement(id, staffId, note))) {
      if (!(await this.admin.findTransaction(id))) throw new AppError('ADMIN.TRANSACTION_NOT_FOUND', 'No such transaction');
      throw new AppError(
        'ADMIN.NO_OPEN_DISAGREEMENT',
        'DOKU does not disagree with this transaction, or the disagreement is already handled',
      );
    }
    await this.audit.record({
      actor,
      action: 'transaction.doku-disagreement-handled',
      target: { type: 'transaction', id },
      after: { note },
    });
    return this.getTransaction(id);
  }

  async getTransaction(id: string): Promise<AdminTransactionResponseDto> {
    const transaction = await this.admin.findTransaction(id);
    if (!transaction) throw new AppError('ADMIN.TRANSACTION_NOT_FOUND', 'No such transaction');
    return AdminTransactionResponseDto.from(transaction, await this.transactions.findEvents(transaction.id));
  }

  async listExchanges(q: ListDokuExchangesQueryDto): Promise<DokuExchangePageResponseDto> {
    const paging = { page: q.page ?? 1, pageSize: q.pageSize ?? 50 };
    const { exchanges, total } = await this.admin.listExchanges(
      { partnerReference: q.partnerReference, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined },
      paging,
    );
    return { items: exchanges.map((e) => DokuExchangeResponseDto.from(e)), ...paging, total };
  }

  /** The console's charts: purchases per day and channel, the refund rate, and what waits for a person. */
  async stats(q: BackOfficeStatsQueryDto): Promise<BackOfficeStatsResponseDto> {
    const days = q.days ?? 14;
    const today = new Date();
    const since = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - (days - 1)));
    const [daily, refunds, unresolved] = await Promise.all([
      this.admin.dailyPurchases(since),
      this.admin.refundTotals(since),
      this.admin.unresolved(),
    ]);
    const ageSeconds = (at: Date | null) => (at ? Math.max(0, Math.floor((Date.now() - new Date(at).getTime()) / 1000)) : null);
    const purchased = Number(refunds.purchased);
    const ratio = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : 0);
    return {
      days,
      daily: daily.map((d) => ({
        day: d.day,
        channel: d.channel,
        purchases: d.purchases,
        succeeded: d.succeeded,
        volume: Number(d.volume),
        successRate: ratio(d.succeeded, d.purchases),
      })),
      refunds: {
        refunds: refunds.refunds,
        refundedAmount: Number(refunds.refunded),
        refundRate: ratio(Number(refunds.refunded), purchased),
      },
      unresolved: {
        waiting: unresolved.waiting,
        oldestId: unresolved.oldestId,
        oldestAgeSeconds: ageSeconds(unresolved.oldestAt),
        pendingApprovals: unresolved.pendingApprovals,
        oldestApprovalAgeSeconds: ageSeconds(unresolved.oldestApprovalAt),
      },
    };
  }
}
