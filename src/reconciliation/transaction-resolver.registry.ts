import { Injectable } from '@nestjs/common';
import { Transaction } from '../transactions/entities/transaction.entity';
import { TransactionType } from '../transactions/transaction-state';

/**
 * Asks DOKU about one unresolved transaction (the matching status query) and applies the answer
 * through the state machine. It must never send a new debit. An answer that settles nothing
 * (still pending, DOKU unreachable) simply leaves the transaction as it is.
 */
export type TransactionResolver = (transaction: Transaction) => Promise<void>;

/** Where each money feature registers how its transactions are resolved (at module init). */
@Injectable()
export class TransactionResolverRegistry {
  private readonly resolvers = new Map<TransactionType, TransactionResolver>();

  register(type: TransactionType, resolver: TransactionResolver): void {
    this.resolvers.set(type, resolver);
  }

  get(type: TransactionType): TransactionResolver | undefined {
    return this.resolvers.get(type);
  }
}
