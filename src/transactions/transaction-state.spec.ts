import { canTransition, isFinal, isUnresolved, TRANSACTION_STATUSES, TransactionStatus } from './transaction-state';

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
});
