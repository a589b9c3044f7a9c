import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import { OutboxRepository } from '../outbox/outbox.repository';
import { PrivacyRepository } from './privacy.repository';

type Row = Record<string, unknown>;

/** URLs we store carry one-time tokens in their query (DOKU's PIN page): the export shows them without it. */
function withoutUrlQueries(value: unknown): unknown {
  if (typeof value === 'string') return /^https?:\/\//i.test(value) ? value.replace(/[?#].*$/, '') : value;
  if (value instanceof Date || value === null) return value;
  if (Array.isArray(value)) return value.map(withoutUrlQueries);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Row).map(([k, v]) => [k, withoutUrlQueries(v)]));
  }
  return value;
}

const REFUND_TYPES = new Set(['REFUND', 'CANCEL']);

/**
 * `GET /v1/me/export` (docs/privacy.md#export): everything we hold about the signed-in user, read
 * in one snapshot, each table by the user's own id (or by the user's own business references, for
 * DOKU's exchange records) so that nothing of another user can be in it. Secrets are never read:
 * the password hash, refresh tokens, DOKU tokens and the sealed bank account number are not
 * selected at all.
 */
@Injectable()
export class DataExportService {
  constructor(
    private readonly repo: PrivacyRepository,
    private readonly outbox: OutboxRepository,
  ) {}

  async export(userId: string): Promise<Row> {
    // Number the events committed so far, as the feed does before reading, so each has its `seq`.
    await this.outbox.sequence();
    return this.repo.transaction(async (tx) => {
      const [user] = await this.repo.user(tx, userId);
      if (!user) throw new AppError('USER.NOT_FOUND', 'User not found');
      const [wallet] = await this.repo.wallet(tx, userId);
      const bindings = await this.repo.bindings(tx, userId);
      const events = await this.repo.transactionEvents(tx, userId);
      const eventsOf = (id: unknown) => events.filter((e) => e.transactionId === id).map((e) => withoutUrlQueries(e));
      const money: Row[] = (await this.repo.transactions(tx, userId)).map((t) => ({
        ...(withoutUrlQueries(t) as Row),
        events: eventsOf(t.id),
      }));
      const feed = await this.outbox.allOfUser(tx, userId);
      const refs = await this.repo.partnerReferences(tx, userId);
      return {
        format: 'doku-wallet-partner.data-export.v1',
        exportedAt: new Date().toISOString(),
        user,
        wallet: wallet ?? null,
        walletRegistrations: await this.repo.registrations(tx, userId),
        walletBindings: bindings,
        // The consent we hold: the user's approval, on DOKU's page, of linking their DOKU Wallet to this app.
        consents: bindings
          .filter((b) => b.boundAt !== null)
          .map((b) => ({ kind: 'DOKU_WALLET_LINK', bindingId: b.id, givenAt: b.boundAt, withdrawnAt: b.unboundAt })),
        transactions: money.filter((t) => !REFUND_TYPES.has(String(t.type))),
        refunds: money.filter((t) => REFUND_TYPES.has(String(t.type))),
        bankTransferInquiries: await this.repo.bankTransferInquiries(tx, userId),
        topUpInquiries: await this.repo.topUpInquiries(tx, userId),
        events: feed.map((e) => ({ id: e.id, seq: e.position, type: e.type, payload: e.payload, createdAt: e.createdAt })),
        sessions: await this.repo.sessions(tx, userId),
        otpSends: await this.repo.otpSends(tx, userId),
        dokuExchanges: (await this.repo.exchangesOf(tx, refs)).map((x) => withoutUrlQueries(x)),
        erasureRequests: await this.repo.erasures(tx, userId),
      };
    }, 'REPEATABLE READ');
  }
}
