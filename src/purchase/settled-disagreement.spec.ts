import { contradictsSettled } from './purchase-status.service';

describe('contradictsSettled: a DOKU answer the state machine cannot follow', () => {
  it('flags a purchase we failed or canceled that DOKU says is paid, and one we have paid that DOKU failed', () => {
    expect(contradictsSettled('FAILED', 'SUCCESS')).toBe(true);
    expect(contradictsSettled('FAILED', 'REFUNDED')).toBe(true);
    expect(contradictsSettled('CANCELED', 'SUCCESS')).toBe(true);
    expect(contradictsSettled('SUCCESS', 'FAILED')).toBe(true);
  });

  it('leaves agreement, moves the state machine makes, and unsettled purchases alone', () => {
    expect(contradictsSettled('FAILED', 'FAILED')).toBe(false);
    expect(contradictsSettled('FAILED', 'NOT_FOUND')).toBe(false);
    expect(contradictsSettled('FAILED', 'PENDING')).toBe(false);
    expect(contradictsSettled('CANCELED', 'REFUNDED')).toBe(false);
    expect(contradictsSettled('CANCELED', 'CANCELED')).toBe(false);
    expect(contradictsSettled('SUCCESS', 'SUCCESS')).toBe(false);
    expect(contradictsSettled('SUCCESS', 'CANCELED')).toBe(false);
    expect(contradictsSettled('SUCCESS', 'REFUNDED')).toBe(false);
    expect(contradictsSettled('PENDING', 'SUCCESS')).toBe(false);
    expect(contradictsSettled('UNKNOWN', 'FAILED')).toBe(false);
  });
});
