import type { TransactionStatus } from './transaction-state';
import {
  canTransition,
  isFinal,
  isUnresolved,
  settlementAllowed,
  TRANSACTION_STATUSES,
  TRANSACTION_TYPES,
  typesRefused,
} from './transaction-state';

describe('transaction state machine', () => {
  it('never moves a final state anywhere', () => {
    for (const to of TRANSACTION_STATUSES) {
      expect(canTransition('FAILED', to)).toBe(false);
      expect(canTransition('CANCELED', to)).toBe(false);
    }
  });

  it('never moves backward from SUCCESS to an unresolved or failed state', () => {
    for (const to of ['PENDING', 'UNKNOWN', 'FAILED', 'SUCCESS'] as TransactionStatus[]) {
      expect(canTransition('SUCCESS', to)).toBe(false);
    }
    expect(canTransition('SUCCESS', 'CANCELED')).toBe(true);
  });

  it('lets a lost answer (UNKNOWN) be settled by whatever DOKU says', () => {
    for (const to of ['PENDING', 'SUCCESS', 'FAILED', 'CANCELED'] as TransactionStatus[]) {
      expect(canTransition('UNKNOWN', to)).toBe(true);
    }
    expect(canTransition('PENDING', 'UNKNOWN')).toBe(true);
  });

  it('does not treat a self-transition as a change', () => {
    for (const s of TRANSACTION_STATUSES) expect(canTransition(s, s)).toBe(false);
  });

  it('classifies final and unresolved states', () => {
    expect(TRANSACTION_STATUSES.filter(isFinal)).toEqual(['FAILED', 'CANCELED']);
    expect(TRANSACTION_STATUSES.filter(isUnresolved)).toEqual(['PENDING', 'UNKNOWN']);
  });
  describe(settlementAllowed.name, () => {
    it('never fails a refund, top-up or bank transfer because DOKU does not know it or said nothing clear', () => {
      for (const type of ['REFUND', 'TOP_UP', 'BANK_TRANSFER'] as const) {
        for (const evidence of ['doku-not-found', 'doku-unclear', 'doku-success'] as const) {
          expect({ type, evidence, allowed: settlementAllowed(type, 'FAILED', evidence) }).toEqual({ type, evidence, allowed: false });
        }
      }
    });

    it('lets "not found" fail only what releases nothing: a purchase or a cancel', () => {
      expect(TRANSACTION_TYPES.filter((t) => settlementAllowed(t, 'FAILED', 'doku-not-found'))).toEqual(['PURCHASE', 'CANCEL']);
    });

    it('fails or cancels anything on a definitive decline or report, or on the back office', () => {
      for (const type of TRANSACTION_TYPES) {
        for (const evidence of ['doku-declined', 'doku-reported', 'back-office'] as const) {
          expect(settlementAllowed(type, 'FAILED', evidence)).toBe(true);
          expect(settlementAllowed(type, 'CANCELED', evidence)).toBe(true);
        }
      }
    });

    it('counts nothing but DOKU success, a report or the back office as success', () => {
      for (const type of TRANSACTION_TYPES) {
        expect(
          ['doku-success', 'doku-declined', 'doku-reported', 'doku-not-found', 'doku-unclear', 'back-office'].filter((e) =>
            settlementAllowed(type, 'SUCCESS', e as never),
          ),
        ).toEqual(['doku-success', 'doku-reported', 'back-office']);
      }
    });

    it('always allows staying unresolved, and names the refused types for the SQL guard', () => {
      for (const type of TRANSACTION_TYPES) {
        expect(settlementAllowed(type, 'UNKNOWN', 'doku-unclear')).toBe(true);
        expect(settlementAllowed(type, 'PENDING', 'doku-not-found')).toBe(true);
      }
      expect(typesRefused('FAILED', 'doku-not-found')).toEqual(['REFUND', 'TOP_UP', 'BANK_TRANSFER']);
      expect(typesRefused('FAILED', 'doku-unclear')).toEqual([...TRANSACTION_TYPES]);
      expect(typesRefused('UNKNOWN', 'doku-unclear')).toEqual([]);
    });
  });
});
