import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { StoredResponse } from './idempotency/idempotency.service';
import { Transaction } from './entities/transaction.entity';
import { PaymentMethod } from './payment-method';
import { TransactionType } from './transaction-state';

/**
 * Asks DOKU about one unresolved transaction (the matching status query) and applies the answer
 * through the state machine. It must never send a new debit. An answer that settles nothing
 * (still pending, DOKU unreachable) simply leaves the transaction as it is.
 */
export type TransactionResolver = (transaction: Transaction) => Promise<void>;

/**
 * Renders a settled transaction (SUCCESS, FAILED or CANCELED) as the answer its money POST would
 * have given: the same status code and body shape (a decline as the `{"error":{…}}` body of its
 * code). Used to complete the Idempotency-Key of a request whose process died before commit 2, so a
 * retry with that key gets the final answer. Runs inside the completer's database transaction.
 */
export type TransactionRenderer = (
  transaction: Transaction,
  tx: EntityManager,
) => Promise<StoredResponse<unknown>> | StoredResponse<unknown>;

/**
 * What a feature releases or books when one of its transactions is settled by someone else (the
 * back office): a refund's reservation, a top-up's or transfer's inquiry. Runs inside the
 * settling database transaction, after the move, only when the move happened.
 */
export type SettlementHook = (tx: EntityManager, transaction: Transaction) => Promise<void>;

/** Where each money feature registers how its transactions are resolved and rendered (at module init). */
@Injectable()
export class TransactionResolverRegistry {
  private readonly resolvers = new Map<TransactionType, TransactionResolver>();
  private readonly renderers = new Map<TransactionType, TransactionRenderer>();
  private readonly settlementHooks = new Map<TransactionType, SettlementHook>();
  /** Resolvers of one payment channel's transactions (docs/channels.md), before the type's own. */
  private readonly channelResolvers = new Map<string, TransactionResolver>();

  /** `render` may be omitted (or registered separately): a later resolver keeps the renderer. */
  register(type: TransactionType, resolver: TransactionResolver, render?: TransactionRenderer): void {
    this.resolvers.set(type, resolver);
    if (render) this.renderers.set(type, render);
  }

  /**
   * How one payment channel's transactions of a type are resolved (its own status query, or for a
   * channel without one, its notifications and the back office). Takes precedence over `register`.
   */
  registerForPaymentMethod(type: TransactionType, method: PaymentMethod, resolver: TransactionResolver): void {
    this.channelResolvers.set(`${type}:${method}`, resolver);
  }

  /** The resolver for this transaction: its channel's, else its type's. */
  resolverFor(transaction: Pick<Transaction, 'type' | 'paymentMethod'>): TransactionResolver | undefined {
    return this.channelResolvers.get(`${transaction.type}:${transaction.paymentMethod}`) ?? this.resolvers.get(transaction.type);
  }

  /** For a feature whose transactions another feature resolves (refunds and cancels: the purchase's status). */
  registerRenderer(type: TransactionType, render: TransactionRenderer): void {
    this.renderers.set(type, render);
  }

  /** What to release or book when the back office settles a transaction of this type. */
  registerSettlementHook(type: TransactionType, hook: SettlementHook): void {
    this.settlementHooks.set(type, hook);
  }

  settlementHook(type: TransactionType): SettlementHook | undefined {
    return this.settlementHooks.get(type);
  }

  get(type: TransactionType): TransactionResolver | undefined {
    return this.resolvers.get(type);
  }

  renderer(type: TransactionType): TransactionRenderer | undefined {
    return this.renderers.get(type);
  }
}
